import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gatehouse, jwt, resource } from '../../src/index.js';
import { freePort, runCli } from '../helpers/cli.js';
import { TestIssuer } from '../helpers/issuer.js';
import { captureLogger, postMcp, startServer } from '../helpers/server.js';
import { orAfter, rawConnection } from './support.js';

const LEGACY = { 'mcp-protocol-version': '2025-11-25' };
const call = (name: string) => JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name, arguments: {} } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A server with a `slow` tool that takes `ms`, and a promise that settles when a call has started. */
async function slowServer(ms: number, options: { shutdownTimeoutMs?: number; onFinish?: () => void } = {}) {
  const issuer = await TestIssuer.start();
  let started!: () => void;
  const callStarted = new Promise<void>((resolve) => (started = resolve));
  const server = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), {
    issuer: issuer.url,
    ...options,
    setup: (s) =>
      s.tool('slow', { scopes: ['read:whoami'] }, async () => {
        started();
        await sleep(ms);
        options.onFinish?.();
        return { done: true };
      }),
  });
  const token = await issuer.token(server.urls.resource);
  return { issuer, server, token, callStarted };
}

describe('graceful shutdown', () => {
  it('finishes a call in progress, closes idle connections at once, then refuses new ones', async () => {
    const events: string[] = [];
    const { issuer, server, token, callStarted } = await slowServer(500, { onFinish: () => events.push('call finished') });
    try {
      const idle = await rawConnection(server.port);
      idle.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
      while (!idle.received().includes('{"status":"ok"}')) await sleep(10);

      const inFlight = postMcp(server.urls.resource, token, call('slow'), LEGACY).then(async (response) => ({
        status: response.status,
        body: await response.text(),
      }));
      await callStarted;
      const closing = server.close().then(() => events.push('closed'));

      const idleClosedAfter = await orAfter(idle.closed, 300, 'still open');
      assert.notEqual(idleClosedAfter, 'still open', 'an idle keep-alive connection is closed right away');
      await assert.rejects(fetch(`http://127.0.0.1:${server.port}/healthz`), 'no new connections while draining');

      const answered = await inFlight;
      assert.equal(answered.status, 200);
      assert.match(answered.body, /"done":\s*true/);
      await closing;
      assert.deepEqual(events, ['call finished', 'closed'], 'close() waits for the call');
      await assert.rejects(fetch(`http://127.0.0.1:${server.port}/healthz`), 'no new connections after close');
    } finally {
      await server.close();
      await issuer.close();
    }
  });

  it('cuts off requests that outlast the drain deadline', async () => {
    const { issuer, server, token, callStarted } = await slowServer(2_000, { shutdownTimeoutMs: 300 });
    try {
      // The answer may have started (an SSE stream), so read it to the end: it must not complete.
      const inFlight = postMcp(server.urls.resource, token, call('slow'), LEGACY)
        .then(
          async (response) => `answered: ${response.status} ${await response.text()}`,
          () => 'connection closed',
        )
        .catch(() => 'connection closed');
      await callStarted;
      const started = performance.now();
      await server.close();
      const tookMs = performance.now() - started;
      assert.ok(tookMs >= 250 && tookMs < 2_000, `close() took ${Math.round(tookMs)} ms`);
      assert.equal(await inFlight, 'connection closed');
      assert.ok(server.logs.some((line) => line.includes('shutdown deadline reached')));
    } finally {
      await issuer.close();
    }
  });

  it('reports not ready while shutting down', async () => {
    const issuer = await TestIssuer.start();
    const server = gatehouse({
      name: 'draining',
      auth: resource({ authorizationServers: issuer.url, verifier: jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }) }),
      logger: captureLogger().logger,
    });
    try {
      const { app, auth } = await server.createHttpApp('http://localhost:8000', { stopping: () => true });
      const response = await app.fetch(new Request('http://localhost:8000/readyz'));
      assert.equal(response.status, 503);
      assert.deepEqual(await response.json(), { status: 'unavailable', checks: { shutdown: false }, failing: ['shutdown'] });
      assert.equal((await app.fetch(new Request('http://localhost:8000/healthz'))).status, 200, 'still live');
      await auth.close?.();
    } finally {
      await issuer.close();
    }
  });
});

describe('gatehouse serve on SIGTERM', () => {
  it('finishes a request still arriving, refuses new connections, logs and exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-shutdown-'));
    const port = await freePort();
    const cli = runCli(['serve', '--mode', 'resource', '--dev-keys', '--data-dir', dataDir, '--port', String(port)]);
    try {
      await cli.waitFor(/Get a token/);
      assert.match(cli.stderr(), new RegExp(`Health checks: +http://localhost:${port}/healthz`));
      const mint = runCli(['token', '--dev-keys', '--data-dir', dataDir, '--port', String(port), '--sub', 'sigterm-user']);
      assert.equal(await mint.exited, 0);
      const token = mint.stdout().trim();

      // The request is in progress: headers and half the body are in, the rest comes after the signal.
      const body = call('whoami');
      const half = Math.floor(body.length / 2);
      const client = await rawConnection(port);
      client.socket.write(
        `POST /mcp HTTP/1.1\r\nHost: localhost:${port}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
          `Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-11-25\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
      );
      await sleep(300);
      cli.child.kill('SIGTERM');
      await cli.waitFor(/shutting down/);
      await sleep(200);
      assert.equal(cli.child.exitCode, null, 'still running while a request is in progress');
      await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'new connections are refused');

      client.socket.write(body.slice(half));
      await orAfter(client.closed, 5_000, 'still open');
      assert.match(client.received(), /^HTTP\/1\.1 200 /);
      assert.match(client.received(), /sigterm-user/);
      assert.equal(await orAfter(cli.exited, 5_000, 'still running'), 0);
      assert.match(cli.stdout(), /"msg":"shutting down"/);
      assert.match(cli.stdout(), /"msg":"stopped"/);
      assert.ok(cli.stdout().indexOf('"msg":"stopped"') > cli.stdout().indexOf('"path":"/mcp"'), 'stopped after the request was answered');
    } finally {
      await cli.stop();
    }
  });
});
