import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isClientOrigin } from '../../src/authserver/clients/client-origins.js';
import { jwt } from '../../src/index.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { TestIssuer } from '../helpers/issuer.js';
import { MCP_HEADERS, rawRequest, startServer, type TestServer } from '../helpers/server.js';

/** The exact preflight Chromium sends before the Inspector's page POSTs to `/mcp` with a token and SEP-2243 headers. */
function preflight(origin: string, method = 'POST', headers = 'authorization,content-type,dpop,mcp-method,mcp-name,mcp-protocol-version') {
  return { origin, 'access-control-request-method': method, 'access-control-request-headers': headers };
}

describe('CORS for browser-based clients on a local server (no settings)', () => {
  let server: EmbeddedTestServer;
  before(async () => {
    server = await startEmbedded();
    await server.accounts.create('ada@example.com', PASSWORD);
  });
  after(async () => server?.close());

  for (const inspector of ['http://localhost:6274', 'http://127.0.0.1:6274', 'http://[::1]:6274']) {
    it(`answers the preflights of the Inspector's page at ${inspector}`, async () => {
      for (const path of ['/mcp', '/reg']) {
        const answer = await fetch(`${server.urls.issuer}${path}`, { method: 'OPTIONS', headers: preflight(inspector) });
        assert.equal(answer.status, 204, path);
        assert.equal(answer.headers.get('access-control-allow-origin'), inspector, path);
        const allowed = answer.headers.get('access-control-allow-headers')!.toLowerCase().split(/,\s*/);
        for (const header of ['authorization', 'content-type', 'dpop', 'mcp-method', 'mcp-name', 'mcp-protocol-version'])
          assert.ok(allowed.includes(header), `${path}: ${header}`);
        assert.match(answer.headers.get('vary') ?? '', /Origin/);
      }
    });
  }

  it('allows the Mcp-Param-* headers a request names (SEP-2243), and no other unknown header', async () => {
    const answer = await fetch(server.urls.resource, {
      method: 'OPTIONS',
      headers: preflight('http://localhost:6274', 'POST', 'content-type,mcp-param-city,x-evil'),
    });
    const allowed = answer.headers.get('access-control-allow-headers')!.toLowerCase();
    assert.match(allowed, /mcp-param-city/);
    assert.doesNotMatch(allowed, /x-evil/);
  });

  it('answers the discovery preflights for any origin, MCP-Protocol-Version allowed', async () => {
    for (const url of [server.urls.resourceMetadata, server.urls.rootResourceMetadata]) {
      const answer = await fetch(url, { method: 'OPTIONS', headers: preflight('https://web-client.example', 'GET', 'mcp-protocol-version') });
      assert.equal(answer.status, 204);
      assert.equal(answer.headers.get('access-control-allow-origin'), '*');
      assert.match(answer.headers.get('access-control-allow-headers')!, /Mcp-Protocol-Version/);
    }
    const as = await fetch(`${server.urls.issuer}/.well-known/oauth-authorization-server`, {
      method: 'OPTIONS',
      headers: preflight('https://web-client.example', 'GET', 'mcp-protocol-version'),
    });
    assert.equal(as.status, 204);
    assert.match(as.headers.get('access-control-allow-headers')!, /mcp-protocol-version/);
  });

  it('refuses registration from an origin nobody allowed, before anything is registered', async () => {
    const before = (await server.clients.list()).length;
    for (const method of ['OPTIONS', 'POST']) {
      const answer = await fetch(`${server.urls.issuer}/reg`, {
        method,
        headers: { ...preflight('https://evil.example'), 'content-type': 'application/json' },
        ...(method === 'POST' && { body: JSON.stringify({ redirect_uris: ['http://localhost:6274/oauth/callback'] }) }),
      });
      assert.equal(answer.status, 403, method);
      assert.equal(answer.headers.get('access-control-allow-origin'), null);
      assert.deepEqual(await answer.json(), { error: 'forbidden', error_description: 'Origin https://evil.example is not allowed' });
    }
    assert.equal((await server.clients.list()).length, before);
  });

  it('lets the pre-registered Inspector (a loopback redirect of any port) read the token endpoint from its page', async () => {
    const record = await server.clients.add({ preset: 'mcp-inspector' });
    for (const inspector of ['http://localhost:6274', 'http://127.0.0.1:6274']) {
      const answer = await fetch(`${server.urls.issuer}/token`, {
        method: 'POST',
        headers: { origin: inspector, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: 'not-a-code',
          redirect_uri: `${inspector}/oauth/callback`,
          client_id: record.client_id,
          code_verifier: 'x'.repeat(43),
        }),
      });
      assert.equal(answer.status, 400);
      assert.equal(answer.headers.get('access-control-allow-origin'), inspector, 'the page can read why');
      assert.equal((await answer.json()).error, 'invalid_grant');
    }
    const elsewhere = await fetch(`${server.urls.issuer}/token`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'not-a-code', client_id: record.client_id, code_verifier: 'x'.repeat(43) }),
    });
    assert.equal(elsewhere.headers.get('access-control-allow-origin'), null);
  });
});

describe('a public server', () => {
  let issuer: TestIssuer;
  let server: TestServer;
  before(async () => {
    issuer = await TestIssuer.start();
    server = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), { issuer: issuer.url, publicUrl: 'https://mcp.example.com' });
  });
  after(async () => {
    await server?.close();
    await issuer?.close();
  });

  it("does not let the Inspector's local page in unless told", async () => {
    const answer = await rawRequest(`http://127.0.0.1:${server.port}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, host: 'mcp.example.com', origin: 'http://localhost:6274' },
      body: '{}',
    });
    assert.equal(answer.status, 403);
    assert.match(answer.body, /Origin http:\/\/localhost:6274 is not allowed/);
  });
});

describe('whose page a browser-based client is', () => {
  it('is the origin of one of its redirect URIs; a loopback redirect without a port stands for any port', () => {
    const uris = ['http://localhost/oauth/callback', 'http://127.0.0.1:8080/cb', 'https://app.example.com/cb'];
    assert.ok(isClientOrigin(uris, 'http://localhost:6274'));
    assert.ok(isClientOrigin(uris, 'http://127.0.0.1:8080'));
    assert.ok(isClientOrigin(uris, 'https://app.example.com'));
    assert.ok(!isClientOrigin(uris, 'http://127.0.0.1:8081'), 'a loopback redirect with a port is that port only');
    assert.ok(!isClientOrigin(uris, 'https://localhost:6274'), 'the scheme counts');
    assert.ok(!isClientOrigin(uris, 'http://[::1]:6274'), 'another loopback name is another origin');
    assert.ok(!isClientOrigin(uris, 'https://app.example.com.evil.example'));
    assert.ok(!isClientOrigin(uris, 'null'));
    assert.ok(!isClientOrigin(['cursor://anysphere.cursor-mcp/oauth/callback'], 'null'));
  });
});
