import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LoopbackRedirect } from '../../../src/client/connect/loopback.js';
import { UnsafeAuthorizationUrlError } from '../../../src/client/connect/opener.js';
import { ConnectProvider } from '../../../src/client/connect/provider.js';
import { TokenStore } from '../../../src/client/connect/token-store.js';

const SERVER = 'https://mcp.example/mcp';

async function interactive(): Promise<{ provider: ConnectProvider; sent: URL[]; loopback: LoopbackRedirect; store: TokenStore }> {
  const loopback = await LoopbackRedirect.listen();
  const sent: URL[] = [];
  const store = new TokenStore(mkdtempSync(join(tmpdir(), 'gatehouse-provider-')));
  const provider = new ConnectProvider({ serverUrl: SERVER, store, clientName: 'test', login: { loopback, send: (url) => void sent.push(url) } });
  return { provider, sent, loopback, store };
}

describe('the connect OAuth provider', () => {
  it('hands only http(s) authorization URLs on, whatever the SDK built', async () => {
    const { provider, sent, loopback } = await interactive();
    try {
      for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share']) {
        await assert.rejects(provider.redirectToAuthorization(new URL(url)), UnsafeAuthorizationUrlError, url);
      }
      assert.deepEqual(sent, []);
      await provider.redirectToAuthorization(new URL('https://as.example/authorize?x=1'));
      assert.deepEqual(sent.map(String), ['https://as.example/authorize?x=1']);
    } finally {
      await loopback.close();
    }
  });

  it('registers as a public native client with the loopback redirect, asking for refresh tokens', async () => {
    const { provider, loopback } = await interactive();
    try {
      assert.deepEqual(provider.clientMetadata.redirect_uris, [loopback.redirectUrl]);
      assert.equal(provider.clientMetadata.token_endpoint_auth_method, 'none');
      assert.deepEqual(provider.clientMetadata.grant_types, ['authorization_code', 'refresh_token']);
    } finally {
      await loopback.close();
    }
  });

  it('keeps registrations and tokens per issuer, presenting the ones saved last', async () => {
    const { provider, loopback } = await interactive();
    try {
      provider.saveClientInformation({ client_id: 'at-a' }, { issuer: 'https://a.example' });
      provider.saveTokens({ access_token: 'token-a', token_type: 'Bearer' }, { issuer: 'https://a.example' });
      // The server moved to another authorization server: nothing of the first is offered there.
      assert.equal(provider.clientInformation({ issuer: 'https://b.example' }), undefined);
      assert.equal(provider.tokens({ issuer: 'https://b.example' }), undefined);
      provider.saveClientInformation({ client_id: 'at-b' }, { issuer: 'https://b.example' });
      provider.saveTokens({ access_token: 'token-b', token_type: 'Bearer' }, { issuer: 'https://b.example' });
      assert.equal(provider.tokens()?.access_token, 'token-b', 'the MCP server gets the newest tokens');
      assert.equal(provider.clientInformation({ issuer: 'https://a.example' })?.client_id, 'at-a');
      provider.invalidateCredentials('tokens');
      assert.equal(provider.tokens(), undefined);
      assert.equal(provider.clientInformation({ issuer: 'https://b.example' })?.client_id, 'at-b');
    } finally {
      await loopback.close();
    }
  });

  it('does not write given client secrets to the token file', async () => {
    const store = new TokenStore(mkdtempSync(join(tmpdir(), 'gatehouse-provider-')));
    const provider = new ConnectProvider({
      serverUrl: SERVER,
      store,
      clientName: 'test',
      clientCredentials: { clientId: 'svc', clientSecret: 'very-secret' },
    });
    assert.equal(provider.redirectUrl, undefined, 'client credentials: no browser');
    provider.saveClientInformation({ client_id: 'svc', client_secret: 'very-secret', issuer: 'https://a.example' }, { issuer: 'https://a.example' });
    provider.saveTokens({ access_token: 't', token_type: 'Bearer' }, { issuer: 'https://a.example' });
    assert.doesNotMatch(JSON.stringify(store.read(SERVER)), /very-secret/);
    assert.equal(provider.prepareTokenRequest?.('read')?.toString(), 'grant_type=client_credentials&scope=read');
  });
});
