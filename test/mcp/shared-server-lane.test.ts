import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GCProfiler, type HeapSpaceStatistics } from 'node:v8';
import { createLogger, dangerouslyNoAuth, gatehouse, type RunningServer, whoamiTool } from '../../src/index.js';
import { captureLogger, MCP_HEADERS } from '../helpers/server.js';

const LEGACY = { ...MCP_HEADERS, 'mcp-protocol-version': '2025-11-25' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stateless 2025 requests to a server built once are answered by one connected copy of it (the shared lane):
 * each with its own id mapping, its notifications streamed to it alone, its cancellation its own.
 */
describe('the shared lane for stateless 2025 requests', () => {
  let running: RunningServer;
  let aborted = 0;
  before(async () => {
    running = await gatehouse({ name: 'Lane', auth: dangerouslyNoAuth(), logger: captureLogger().logger })
      .addTool(whoamiTool)
      .tool('progress', { description: 'Reports progress twice, then answers' }, async (_args, ctx) => {
        const token = ctx.mcpReq._meta?.progressToken;
        if (token !== undefined) {
          for (const progress of [1, 2]) await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress, total: 2 } });
        }
        return { done: true };
      })
      .tool('ask', { description: 'Asks the client something' }, async (_args, ctx) => {
        await ctx.mcpReq.elicitInput({ message: 'Your name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } });
        return { asked: true };
      })
      .tool('wait', { description: 'Waits until the request is cancelled' }, async (_args, ctx) => {
        await new Promise<void>((resolve) => ctx.mcpReq.signal.addEventListener('abort', () => resolve(), { once: true }));
        aborted += 1;
        return { cancelled: true };
      })
      .listen(0);
  });
  after(() => running.close());

  const call = (name: string, id: number | string, meta?: Record<string, unknown>) =>
    JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {}, ...(meta && { _meta: meta }) } });

  it('answers a request whose _meta the request schema refuses, rather than leaving it hanging', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami', arguments: {}, _meta: 5 } });
    const response = await fetch(running.urls.resource, { method: 'POST', headers: LEGACY, body, signal: AbortSignal.timeout(5_000) });
    assert.ok(response.status >= 400 && response.status < 500, `status ${response.status}`);
    const answer = (await response.json()) as { error?: { code: number } };
    assert.equal(typeof answer.error?.code, 'number');
  });

  it('answers many requests at once that share one JSON-RPC id, each with its own id and answer', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const response = await fetch(running.urls.resource, { method: 'POST', headers: LEGACY, body: call(i % 2 ? 'whoami' : 'progress', 7) });
        return { status: response.status, body: (await response.json()) as { id: unknown; result: { structuredContent: unknown } } };
      }),
    );
    for (const [i, answer] of answers.entries()) {
      assert.equal(answer.status, 200);
      assert.equal(answer.body.id, 7);
      if (i % 2 === 0) assert.deepEqual(answer.body.result.structuredContent, { done: true });
    }
  });

  it('streams notifications sent before the result (progress) as server-sent events, then the result', async () => {
    const response = await fetch(running.urls.resource, { method: 'POST', headers: LEGACY, body: call('progress', 'p-1', { progressToken: 'tok' }) });
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    const events = (await response.text())
      .split('\n\n')
      .filter(Boolean)
      .map((event) => JSON.parse(event.split('data: ')[1]!) as { method?: string; id?: unknown; params?: { progress: number } });
    assert.deepEqual(
      events.map((e) => e.method ?? `result ${String(e.id)}`),
      ['notifications/progress', 'notifications/progress', 'result p-1'],
    );
    assert.deepEqual(
      events.slice(0, 2).map((e) => e.params?.progress),
      [1, 2],
    );
  });

  it('refuses a request to the client at once, as stateless serving cannot route its answer back', async () => {
    const started = performance.now();
    const response = await fetch(running.urls.resource, { method: 'POST', headers: LEGACY, body: call('ask', 3) });
    const body = (await response.json()) as { result?: { isError?: boolean; content: { text: string }[] } };
    assert.ok(performance.now() - started < 5_000, 'no wait for an answer that cannot come');
    assert.equal(body.result?.isError, true, 'the tool reports the refusal as its error');
  });

  it('cancels the handler when the client goes away', async () => {
    const controller = new AbortController();
    const pending = fetch(running.urls.resource, { method: 'POST', headers: LEGACY, body: call('wait', 4), signal: controller.signal }).catch(() => 'gone');
    await sleep(200);
    controller.abort();
    assert.equal(await pending, 'gone');
    for (let i = 0; i < 50 && aborted === 0; i++) await sleep(20);
    assert.equal(aborted, 1, "the handler's signal aborted");
  });

  it('lets the young generation collect each request: no garbage is promoted to the old one per call', async () => {
    const server = gatehouse({
      name: 'Lane',
      auth: dangerouslyNoAuth(),
      logger: createLogger({ level: 'silent' }),
      publicUrl: 'http://127.0.0.1:9',
      allowedHosts: ['127.0.0.1'],
    });
    server.addTool(whoamiTool);
    const headers = { ...LEGACY, host: '127.0.0.1:9' };
    const calls = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const response = await server.fetch(new Request('http://127.0.0.1:9/mcp', { method: 'POST', headers, body: call('whoami', i) }));
        assert.equal(response.status, 200);
        await response.text();
      }
    };
    try {
      await calls(2_000);
      // What each scavenge moves to the old generation: garbage that got there stays until a full GC, and a
      // server that promotes some of every request fills its old generation to the limit (RSS climbs with it).
      const profiler = new GCProfiler();
      profiler.start();
      await calls(10_000);
      const oldBytes = (spaces: HeapSpaceStatistics[]) =>
        spaces.filter((s) => !['new_space', 'new_large_object_space'].includes(s.spaceName)).reduce((sum, s) => sum + s.spaceUsedSize, 0);
      let promoted = 0;
      for (const gc of profiler.stop()?.statistics ?? []) {
        if (gc.gcType === 'Scavenge') promoted += oldBytes(gc.afterGC.heapSpaceStatistics) - oldBytes(gc.beforeGC.heapSpaceStatistics);
      }
      assert.ok(promoted / 10_000 < 500, `${Math.round(promoted / 10_000)} bytes promoted per call`);
    } finally {
      await server.close();
    }
  });
});
