import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jwt } from '../../src/index.js';
import { nativeClientMetadata, registerClient } from '../helpers/authorize.js';
import { startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { TestIssuer } from '../helpers/issuer.js';
import { postMcp, startServer, type TestServer } from '../helpers/server.js';

/** The request log line of the last request to this path. */
function requestLine(server: { logs: string[] }, path: string): Record<string, unknown> {
  const lines = server.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry['msg'] === 'request' && entry['path'] === path);
  assert.ok(lines.length > 0, `a request line for ${path}`);
  return lines.at(-1)!;
}

describe('the request log: one line per request, and for a refusal its reason', () => {
  let issuer: TestIssuer;
  let server: TestServer;
  before(async () => {
    issuer = await TestIssuer.start();
    server = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), { issuer: issuer.url });
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  it("logs a browser's /favicon.ico as a 404 at info, not as an error", async () => {
    const response = await fetch(new URL('/favicon.ico', server.urls.resource));
    assert.equal(response.status, 404);
    const line = requestLine(server, '/favicon.ico');
    assert.equal(line['level'], 30);
    assert.equal(line['outcome'], 'not_found');
  });

  it('gives the reason of each refusal at the MCP endpoint: no token, a bad one, an expired one, a foreign origin', async () => {
    assert.equal((await postMcp(server.urls.resource)).status, 401);
    assert.equal(requestLine(server, '/mcp')['reason'], 'No bearer token was sent');
    assert.equal((await postMcp(server.urls.resource, 'not-a-jwt')).status, 401);
    assert.equal(requestLine(server, '/mcp')['reason'], 'The token signature or format is invalid');
    const expired = await issuer.token(server.urls.resource, { expiresIn: -3600 });
    assert.equal((await postMcp(server.urls.resource, expired)).status, 401);
    assert.equal(requestLine(server, '/mcp')['reason'], 'The token has expired');
    const token = await issuer.token(server.urls.resource);
    assert.equal((await postMcp(server.urls.resource, token, undefined, { origin: 'https://elsewhere.example' })).status, 403);
    const forbidden = requestLine(server, '/mcp');
    assert.equal(forbidden['outcome'], 'forbidden_origin');
    assert.match(String(forbidden['reason']), /elsewhere\.example/);
  });
});

describe("the request log of the authorization server's endpoints", () => {
  let server: EmbeddedTestServer;
  before(async () => {
    server = await startEmbedded();
  });
  after(() => server.close());

  it("gives oidc-provider's reason for a refused code redemption and a refused registration", async () => {
    const registered = await registerClient(server, nativeClientMetadata('http://127.0.0.1:43210/callback'));
    assert.equal(registered.status, 201);
    const redeemed = await fetch(`${server.urls.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: String(registered.body['client_id']),
        code: 'no-such-code-0123456789',
        redirect_uri: 'http://127.0.0.1:43210/callback',
        code_verifier: 'v'.repeat(43),
      }),
    });
    assert.equal(redeemed.status, 400);
    const token = requestLine(server, '/token');
    assert.match(String(token['reason']), /^invalid_grant: grant request is invalid \(.+\)$/);

    const refused = await registerClient(server, nativeClientMetadata('javascript:alert(1)'));
    assert.equal(refused.status, 400);
    assert.match(String(requestLine(server, '/reg')['reason']), /^invalid_redirect_uri: /);
  });

  it('logs /favicon.ico, which a browser asks for beside the pages, as a 404 at info and nothing at error', async () => {
    const before = server.logs.length;
    const response = await fetch(`${server.urls.origin}/favicon.ico`, { headers: { accept: 'image/avif,image/webp,image/*,*/*;q=0.8' } });
    assert.equal(response.status, 404);
    const line = requestLine(server, '/favicon.ico');
    assert.equal(line['level'], 30);
    assert.equal(line['outcome'], 'not_found');
    const errors = server.logs.slice(before).filter((entry) => (JSON.parse(entry) as { level: number }).level >= 50);
    assert.deepEqual(errors, []);
  });
});
