import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Client,
  StreamableHTTPClientTransport,
  SdkHttpError,
  discoverOAuthProtectedResourceMetadata,
  extractWWWAuthenticateParams,
} from '@modelcontextprotocol/client';
import { useJwtServer } from '../helpers/server.js';

const ERAS = [
  { name: '2025-11-25 (initialize handshake)', versionNegotiation: { mode: 'legacy' as const } },
  { name: '2026-07-28 (stateless)', versionNegotiation: { mode: { pin: '2026-07-28' } } },
];

describe('the official MCP client against a protected server', () => {
  const fx = useJwtServer();

  for (const era of ERAS) {
    it(`connects with a bearer token and calls whoami over ${era.name}`, async () => {
      const token = await fx.issuer.token(fx.server.urls.resource, {
        sub: 'ada',
        scope: 'read:whoami',
        claims: { email: 'ada@example.com', preferred_username: 'ada.l' },
      });
      const client = new Client({ name: 'e2e', version: '1.0.0' }, { versionNegotiation: era.versionNegotiation });
      const transport = new StreamableHTTPClientTransport(new URL(fx.server.urls.resource), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      });
      await client.connect(transport);
      const tools = await client.listTools();
      assert.deepEqual(
        tools.tools.map((t) => t.name),
        ['whoami'],
      );
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      assert.deepEqual(result.structuredContent, {
        authenticated: true,
        kind: 'person',
        subject: 'ada',
        username: 'ada.l',
        email: 'ada@example.com',
        clientId: 'test-client',
        scopes: ['read:whoami'],
        issuer: fx.issuer.url,
      });
      await client.close();
    });
  }

  it('without a token sees the 401 challenge and discovers the metadata from it', async () => {
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(fx.server.urls.resource));
    await assert.rejects(client.connect(transport), (error: unknown) => error instanceof SdkHttpError && error.status === 401);

    const response = await fetch(fx.server.urls.resource, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(response.status, 401);
    const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(response);
    assert.equal(resourceMetadataUrl?.href, fx.server.urls.resourceMetadata);
    assert.equal(scope, 'read:whoami');

    const metadata = await discoverOAuthProtectedResourceMetadata(new URL(fx.server.urls.resource), { resourceMetadataUrl });
    assert.equal(metadata.resource, fx.server.urls.resource);
    assert.deepEqual(metadata.authorization_servers, [fx.issuer.url]);
    assert.deepEqual(metadata.scopes_supported, ['read:whoami']);
  });

  it('discovers the metadata by well-known probing when no header is used', async () => {
    const metadata = await discoverOAuthProtectedResourceMetadata(new URL(fx.server.urls.resource));
    assert.equal(metadata.resource, fx.server.urls.resource);
  });
});
