import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Hono } from 'hono';
import { createLogger, dangerouslyNoAuth, gatehouse, whoamiTool } from '../../src/index.js';
import { MCP_HEADERS } from '../helpers/server.js';

const ORIGIN = 'http://localhost:3000';
const MCP = `${ORIGIN}/mcp`;
const HEADERS = { ...MCP_HEADERS, host: 'localhost:3000' };
const CORS = {
  'access-control-allow-origin': ORIGIN,
  'access-control-expose-headers': 'WWW-Authenticate, DPoP-Nonce, Mcp-Session-Id, Mcp-Protocol-Version, Retry-After',
  vary: 'Origin',
};

/** A body that arrives as a stream of `bytes` bytes (no Content-Length), and then fails if `fail` says so. */
function streamedBody(bytes: number, fail = false): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new Uint8Array(bytes).fill(0x61));
      if (fail) controller.error(new Error('the client went away'));
      else controller.close();
    },
  });
}

/** Status, every header, and the body as sent. */
async function answer(response: Response) {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { status: response.status, headers, body: await response.text() };
}

const jsonRpcError = (code: number, message: string) => JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });

/**
 * The HTTP-level refusals a client of the MCP endpoint gets as JSON-RPC errors without id, byte for byte and
 * header for header: a foreign Host (on every route), a foreign Origin, a body over the cap (declared or
 * counted), and a body that could not be read. Next to them, the OAuth-shaped 413 of the other routes.
 */
describe('JSON-RPC errors at the HTTP level', () => {
  let app: Hono;
  before(async () => {
    const server = gatehouse({ name: 'Test', auth: dangerouslyNoAuth(), logger: createLogger({ level: 'silent' }), limits: { maxBodyBytes: 100 } });
    ({ app } = await server.addTool(whoamiTool).createHttpApp(ORIGIN));
  });

  it('a foreign Host gets 403 with code -32000, at the MCP endpoint and on other routes', async () => {
    for (const [url, init] of [
      [MCP, { method: 'POST', body: '{}' }],
      [`${ORIGIN}/.well-known/oauth-protected-resource/mcp`, {}],
    ] as const) {
      const response = await app.fetch(new Request(url, { ...init, headers: { ...HEADERS, host: 'attacker.test' } }));
      assert.deepEqual(await answer(response), {
        status: 403,
        headers: { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' },
        body: jsonRpcError(-32000, 'Forbidden: Invalid Host: attacker.test'),
      });
    }
  });

  it('a foreign Origin gets 403 with code -32000', async () => {
    const response = await app.fetch(new Request(MCP, { method: 'POST', headers: { ...HEADERS, origin: 'http://evil.test' }, body: '{}' }));
    assert.deepEqual(await answer(response), {
      status: 403,
      headers: { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' },
      body: jsonRpcError(-32000, 'Forbidden: Origin http://evil.test is not allowed'),
    });
  });

  it('a body over the cap gets 413 with code -32600 and Connection: close, declared or counted', async () => {
    const declared = await app.fetch(new Request(MCP, { method: 'POST', headers: { ...HEADERS, 'content-length': '500' }, body: 'x'.repeat(500) }));
    const tooLarge = {
      status: 413,
      headers: { 'cache-control': 'no-store', connection: 'close', 'content-type': 'application/json', 'x-content-type-options': 'nosniff' },
      body: jsonRpcError(-32600, 'Request body too large'),
    };
    assert.deepEqual(await answer(declared), tooLarge);
    // Counted as it is read (no Content-Length), from an allowed browser origin: the answer carries CORS too.
    const counted = await app.fetch(
      new Request(MCP, { method: 'POST', headers: { ...HEADERS, origin: ORIGIN }, body: streamedBody(500), duplex: 'half' } as RequestInit),
    );
    assert.deepEqual(await answer(counted), { ...tooLarge, headers: { ...tooLarge.headers, ...CORS } });
  });

  it('a body that cannot be read gets 400 with code -32700', async () => {
    const response = await app.fetch(
      new Request(MCP, { method: 'POST', headers: { ...HEADERS, origin: ORIGIN }, body: streamedBody(10, true), duplex: 'half' } as RequestInit),
    );
    assert.deepEqual(await answer(response), {
      status: 400,
      headers: { 'content-type': 'application/json', 'x-content-type-options': 'nosniff', ...CORS },
      body: jsonRpcError(-32700, 'Parse error: the request body could not be read'),
    });
  });

  it('elsewhere, a body over the form cap gets the OAuth-shaped 413, declared or counted', async () => {
    const form = { ...HEADERS, 'content-type': 'application/x-www-form-urlencoded' };
    const expected = {
      status: 413,
      headers: { 'cache-control': 'no-store', connection: 'close', 'content-type': 'application/json', 'x-content-type-options': 'nosniff' },
      body: JSON.stringify({ error: 'invalid_request', error_description: 'request body too large' }),
    };
    const big = 65 * 1024;
    const declared = await app.fetch(
      new Request(`${ORIGIN}/elsewhere`, { method: 'POST', headers: { ...form, 'content-length': String(big) }, body: 'x'.repeat(big) }),
    );
    assert.deepEqual(await answer(declared), expected);
    const counted = await app.fetch(
      new Request(`${ORIGIN}/elsewhere`, { method: 'POST', headers: form, body: streamedBody(big), duplex: 'half' } as RequestInit),
    );
    assert.deepEqual(await answer(counted), expected);
  });
});
