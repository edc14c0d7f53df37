import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jwt } from '../../src/index.js';
import { TestIssuer } from '../helpers/issuer.js';
import { MCP_HEADERS, rawRequest, startServer, type TestServer } from '../helpers/server.js';

describe('behind a tunnel or reverse proxy', () => {
  let issuer: TestIssuer;
  let direct: TestServer;
  let proxied: TestServer;
  const local = (s: TestServer, path: string) => `http://127.0.0.1:${s.port}${path}`;

  before(async () => {
    issuer = await TestIssuer.start();
    const verifier = jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri });
    direct = await startServer(verifier, { issuer: issuer.url, publicUrl: 'https://tunnel.example.com' });
    proxied = await startServer(verifier, { issuer: issuer.url, publicUrl: 'https://mcp.example.com/base/', trustProxy: true });
  });
  after(async () => {
    await direct.close();
    await proxied.close();
    await issuer.close();
  });

  it('publishes every URL from publicUrl, whatever address it is reached on', async () => {
    assert.equal(direct.urls.resource, 'https://tunnel.example.com/mcp');
    const response = await rawRequest(local(direct, '/.well-known/oauth-protected-resource/mcp'), { headers: { host: 'tunnel.example.com' } });
    assert.equal(response.status, 200);
    assert.equal(JSON.parse(response.body).resource, 'https://tunnel.example.com/mcp');

    const challenge = await rawRequest(local(direct, '/mcp'), { method: 'POST', headers: { ...MCP_HEADERS, host: 'tunnel.example.com' }, body: '{}' });
    assert.equal(challenge.status, 401);
    assert.match(
      String(challenge.headers['www-authenticate']),
      /resource_metadata="https:\/\/tunnel\.example\.com\/\.well-known\/oauth-protected-resource\/mcp"/,
    );
  });

  it('accepts tokens for the public resource identifier', async () => {
    const token = await issuer.token(direct.urls.resource);
    const response = await rawRequest(local(direct, '/mcp'), {
      method: 'POST',
      headers: { ...MCP_HEADERS, host: 'tunnel.example.com', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      }),
    });
    assert.equal(response.status, 200);
  });

  it('without a trusted proxy, X-Forwarded-Host cannot make a foreign Host acceptable', async () => {
    const response = await rawRequest(local(direct, '/mcp'), {
      method: 'POST',
      headers: { ...MCP_HEADERS, host: 'attacker.test', 'x-forwarded-host': 'tunnel.example.com' },
      body: '{}',
    });
    assert.equal(response.status, 403);
  });

  it('with a trusted proxy, validates the forwarded host and keeps a path prefix in every URL', async () => {
    assert.equal(proxied.urls.resource, 'https://mcp.example.com/base/mcp');
    assert.equal(proxied.urls.resourceMetadata, 'https://mcp.example.com/.well-known/oauth-protected-resource/base/mcp');
    const ok = await rawRequest(local(proxied, '/.well-known/oauth-protected-resource/base/mcp'), {
      headers: { host: `127.0.0.1:${proxied.port}`, 'x-forwarded-host': 'mcp.example.com', 'x-forwarded-for': '203.0.113.9' },
    });
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.body).resource, 'https://mcp.example.com/base/mcp');
    const bad = await rawRequest(local(proxied, '/.well-known/oauth-protected-resource/base/mcp'), {
      headers: { host: 'mcp.example.com', 'x-forwarded-host': 'attacker.test' },
    });
    assert.equal(bad.status, 403);
    assert.ok(
      proxied.logs.some((l) => JSON.parse(l).ip === '203.0.113.9'),
      'the client address comes from X-Forwarded-For',
    );
  });
});
