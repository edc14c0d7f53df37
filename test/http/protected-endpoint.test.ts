import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { DPOP_ALGORITHMS, jwt } from '../../src/index.js';
import { TestIssuer } from '../helpers/issuer.js';
import { MCP_HEADERS, postMcp, rawRequest, startServer, type TestServer } from '../helpers/server.js';

function toolCall(name: string, args: Record<string, unknown> = {}) {
  return JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: args } });
}
const LEGACY = { 'mcp-protocol-version': '2025-11-25' };
const DPOP_ALGS = DPOP_ALGORITHMS.join(' ');

describe('the protected MCP endpoint', () => {
  let issuer: TestIssuer;
  let server: TestServer;
  let prm: string;

  before(async () => {
    issuer = await TestIssuer.start();
    server = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), {
      issuer: issuer.url,
      scopeHierarchy: { admin: ['read:whoami', 'files:read', 'files:write'] },
      allowedOrigins: ['http://localhost:6274'],
      setup: (s) =>
        s
          .tool('copy_file', { scopes: ['files:read', 'files:write'], inputSchema: z.object({ from: z.string() }) }, ({ from }) => ({ copied: from }))
          // What a tool could find out about the HTTP request that called it.
          .tool('peek_request', { scopes: [] }, (_args, ctx) => {
            const headers = ctx.http?.req?.headers;
            return { sawRequest: headers !== undefined, authorization: headers?.get('authorization') ?? null, caller: ctx.caller?.subject ?? null };
          }),
    });
    prm = server.urls.resourceMetadata;
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  describe('challenges, byte for byte', () => {
    it('answers a request without a token with 401 and a discovery challenge', async () => {
      const response = await postMcp(server.urls.resource);
      assert.equal(response.status, 401);
      assert.equal(
        response.headers.get('www-authenticate'),
        `Bearer scope="read:whoami files:read files:write", resource_metadata="${prm}", DPoP algs="${DPOP_ALGS}"`,
      );
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.equal(await response.text(), '{"error":"unauthorized","error_description":"This MCP server requires an OAuth access token"}');
    });

    it('answers a bad token with 401 invalid_token', async () => {
      const response = await postMcp(server.urls.resource, 'not.a.jwt');
      assert.equal(response.status, 401);
      assert.equal(
        response.headers.get('www-authenticate'),
        `Bearer error="invalid_token", error_description="The token signature or format is invalid", scope="read:whoami files:read files:write", resource_metadata="${prm}", DPoP algs="${DPOP_ALGS}"`,
      );
      assert.equal(await response.text(), '{"error":"invalid_token","error_description":"The token signature or format is invalid"}');
    });

    it('answers a token lacking a tool scope with 403 insufficient_scope naming every scope the call needs', async () => {
      const token = await issuer.token(server.urls.resource, { scope: 'files:read' });
      const response = await postMcp(server.urls.resource, token, toolCall('copy_file', { from: 'a' }), LEGACY);
      assert.equal(response.status, 403);
      assert.equal(
        response.headers.get('www-authenticate'),
        `Bearer error="insufficient_scope", error_description="This tool requires the scopes: files:read files:write", scope="files:read files:write", resource_metadata="${prm}", DPoP algs="${DPOP_ALGS}"`,
      );
      assert.deepEqual(await response.json(), { error: 'insufficient_scope', error_description: 'This tool requires the scopes: files:read files:write' });
    });

    it('gives the same 403 on the 2026-07-28 stateless protocol', async () => {
      const token = await issuer.token(server.urls.resource, { scope: 'files:read' });
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: 8,
        method: 'tools/call',
        params: {
          name: 'whoami',
          arguments: {},
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        },
      });
      const response = await postMcp(server.urls.resource, token, body, {
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'whoami',
      });
      assert.equal(response.status, 403);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer error="insufficient_scope", .*scope="read:whoami"/);
    });
  });

  it('lets a token with all the scopes through, and honours the scope hierarchy', async () => {
    for (const scope of ['files:read files:write', 'admin']) {
      const token = await issuer.token(server.urls.resource, { scope });
      const response = await postMcp(server.urls.resource, token, toolCall('copy_file', { from: 'x' }), LEGACY);
      assert.equal(response.status, 200, scope);
      assert.match(await response.text(), /"copied":"x"/);
    }
  });

  it('never hands the bearer token to a tool, though the tool sees the request and the verified caller', async () => {
    const token = await issuer.token(server.urls.resource, { sub: 'peeker' });
    const response = await postMcp(server.urls.resource, token, toolCall('peek_request'), LEGACY);
    assert.equal(response.status, 200);
    const body = await response.text();
    assert.match(body, /\\"sawRequest\\":true/);
    assert.match(body, /\\"authorization\\":null/);
    assert.match(body, /\\"caller\\":\\"peeker\\"/);
    assert.ok(!body.includes(token), 'the token is nowhere in the answer');
  });

  it('refuses a token issued for another resource', async () => {
    const token = await issuer.token(server.urls.resource, { aud: 'http://localhost:1/other-mcp' });
    const response = await postMcp(server.urls.resource, token);
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate')!, /error="invalid_token", error_description="The token was not issued for this resource"/);
  });

  it('refuses expired tokens at the endpoint', async () => {
    const response = await postMcp(server.urls.resource, await issuer.token(server.urls.resource, { expiresIn: -600 }));
    assert.equal(response.status, 401);
  });

  it('refuses tokens in the query string, even next to a valid header', async () => {
    const token = await issuer.token(server.urls.resource);
    for (const auth of [undefined, token]) {
      const response = await postMcp(`${server.urls.resource}?access_token=${token}`, auth);
      assert.equal(response.status, 400);
      assert.match(response.headers.get('www-authenticate')!, /^Bearer error="invalid_request"/);
    }
    assert.ok(!server.logs.some((line) => line.includes(token)), 'the token never reaches the log');
  });

  it('answers a malformed Authorization header with 400 and another scheme with 401', async () => {
    const malformed = await fetch(server.urls.resource, { method: 'POST', headers: { ...MCP_HEADERS, authorization: 'Bearer a b' }, body: '{}' });
    assert.equal(malformed.status, 400);
    const basic = await fetch(server.urls.resource, { method: 'POST', headers: { ...MCP_HEADERS, authorization: 'Basic dXNlcjpwYXNz' }, body: '{}' });
    assert.equal(basic.status, 401);
    assert.doesNotMatch(basic.headers.get('www-authenticate')!, /error=/);
  });

  it('refuses a repeated Authorization header, whatever the case of its names, even when each holds a valid token', async () => {
    const token = await issuer.token(server.urls.resource);
    // Given a list, node:http sends only the headers listed: Host too.
    const mcpHeaders = Object.entries({ host: new URL(server.urls.resource).host, ...MCP_HEADERS, ...LEGACY }).flat();
    for (const [first, second] of [
      ['authorization', 'authorization'],
      ['Authorization', 'AUTHORIZATION'],
    ]) {
      const response = await rawRequest(server.urls.resource, {
        method: 'POST',
        headers: [...mcpHeaders, first!, `Bearer ${token}`, second!, `Bearer ${token}`],
        body: toolCall('peek_request'),
      });
      assert.equal(response.status, 400, `${first} + ${second}`);
      assert.match(String(response.headers['www-authenticate']), /^Bearer error="invalid_request"/);
    }
  });

  it('closes a connection the client asked to close, even after an event stream', async () => {
    const token = await issuer.token(server.urls.resource);
    // node:http's client reuses a connection the answer says is kept alive: the second call would meet a 400.
    for (let i = 0; i < 3; i++) {
      const response = await rawRequest(server.urls.resource, {
        method: 'POST',
        headers: { ...MCP_HEADERS, ...LEGACY, connection: 'close', authorization: `Bearer ${token}` },
        body: toolCall('peek_request'),
      });
      assert.equal(response.status, 200, `call ${i + 1}`);
      assert.equal(response.headers['connection'], 'close');
    }
  });

  describe('discovery', () => {
    it('serves protected resource metadata at the path-inserted and the root well-known URL', async () => {
      for (const url of [prm, server.urls.rootResourceMetadata]) {
        const response = await fetch(url);
        assert.equal(response.status, 200, url);
        assert.equal(response.headers.get('access-control-allow-origin'), '*');
        assert.deepEqual(await response.json(), {
          resource: server.urls.resource,
          authorization_servers: [issuer.url],
          scopes_supported: ['read:whoami', 'files:read', 'files:write'],
          bearer_methods_supported: ['header'],
          dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
          resource_name: 'Test server',
        });
      }
    });
  });

  describe('DNS rebinding defences', () => {
    it('refuses a foreign Host with 403, on every route', async () => {
      const token = await issuer.token(server.urls.resource);
      for (const path of [server.urls.resource, prm]) {
        const response = await rawRequest(path, {
          method: path === prm ? 'GET' : 'POST',
          headers: { ...MCP_HEADERS, host: 'attacker.test', authorization: `Bearer ${token}` },
          body: path === prm ? undefined : '{}',
        });
        assert.equal(response.status, 403, path);
        assert.equal(JSON.parse(response.body).error.code, -32000);
      }
      const ours = await rawRequest(prm, { headers: { host: `localhost:${server.port}` } });
      assert.equal(ours.status, 200);
    });

    it('refuses a foreign or opaque Origin with 403, allows configured origins and requests without Origin', async () => {
      const token = await issuer.token(server.urls.resource);
      for (const origin of ['http://evil.test', 'null', 'http://localhost:6275']) {
        const response = await postMcp(server.urls.resource, token, undefined, { origin });
        assert.equal(response.status, 403, origin);
      }
      for (const origin of ['http://localhost:6274', server.urls.origin]) {
        assert.equal((await postMcp(server.urls.resource, token, undefined, { origin })).status, 200, origin);
      }
      assert.equal((await postMcp(server.urls.resource, token)).status, 200);
    });

    it('ignores X-Forwarded-Host unless a proxy is trusted', async () => {
      const token = await issuer.token(server.urls.resource);
      const response = await postMcp(server.urls.resource, token, undefined, { 'x-forwarded-host': 'attacker.test' });
      assert.equal(response.status, 200);
    });
  });

  it('logs one line per request with the subject and outcome', async () => {
    const token = await issuer.token(server.urls.resource, { sub: 'logged-user' });
    await postMcp(server.urls.resource, token);
    const line = server.logs.map((l) => JSON.parse(l)).find((l) => l.subject === 'logged-user');
    assert.ok(line, 'a request line with the subject');
    assert.equal(line.outcome, 'ok');
    assert.equal(line.status, 200);
    assert.equal(line.path, '/mcp');
    const refused = server.logs.map((l) => JSON.parse(l)).filter((l) => l.outcome === 'no_token');
    assert.ok(refused.length > 0);
    assert.ok(!server.logs.some((l) => l.includes(token)));
  });
});
