import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { auth0, github, microsoft, oidc } from '../../src/index.js';

/**
 * A provider's discovery documents served from this machine, so the presets' authorization requests can be read
 * (the real Entra ID and Auth0 are not reachable here; full sign-ins run against a real OpenID provider elsewhere).
 */
async function discoveryServer(): Promise<{ origin: string; close(): Promise<void> }> {
  let origin = '';
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', origin).pathname;
    const issuer = origin + path.replace(/\/\.well-known\/openid-configuration$/, '');
    if (!path.endsWith('/.well-known/openid-configuration')) {
      res.writeHead(404).end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const REQUEST = {
  redirectUri: 'https://mcp.example.com/oauth/callback/x',
  state: 'state-1',
  codeChallenge: 'challenge-1',
  nonce: 'nonce-1',
  resource: 'https://mcp.example.com/mcp',
};
const credentials = { clientId: 'app', clientSecret: 'secret' };

describe('identity source presets', () => {
  let provider: Awaited<ReturnType<typeof discoveryServer>>;
  before(async () => (provider = await discoveryServer()));
  after(() => provider.close());

  it('microsoft: the tenant v2.0 authority, offline_access, and never the resource parameter', async () => {
    const source = microsoft({ ...credentials, tenant: 'contoso.onmicrosoft.com', authority: provider.origin, forwardResource: true });
    const url = await source.authorizationUrl(REQUEST);
    assert.equal(url.origin + url.pathname, `${provider.origin}/contoso.onmicrosoft.com/v2.0/authorize`);
    assert.deepEqual(url.searchParams.get('scope')?.split(' '), ['openid', 'email', 'profile', 'offline_access']);
    assert.equal(url.searchParams.get('resource'), null, 'Entra refuses unknown resource parameters');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(url.searchParams.get('nonce'), 'nonce-1');
    assert.throws(() => microsoft({ ...credentials, tenant: 'common' }), /tenant id or domain/);
  });

  it('auth0: the API audience goes with the authorization request', async () => {
    const source = auth0({ ...credentials, issuer: `${provider.origin}/tenant`, audience: 'https://api.example.com' });
    const url = await source.authorizationUrl(REQUEST);
    assert.equal(url.searchParams.get('audience'), 'https://api.example.com');
    assert.ok(url.searchParams.get('scope')?.split(' ').includes('offline_access'));
  });

  it('oidc: scopes, extra parameters, and resource only when asked to forward it', async () => {
    const plain = await oidc({
      ...credentials,
      issuer: provider.origin,
      scopes: ['email'],
      extraAuthorizeParams: { prompt: 'select_account' },
    }).authorizationUrl(REQUEST);
    assert.deepEqual(plain.searchParams.get('scope')?.split(' '), ['openid', 'email'], 'openid is always asked for');
    assert.equal(plain.searchParams.get('prompt'), 'select_account');
    assert.equal(plain.searchParams.get('resource'), null);
    assert.equal(plain.searchParams.get('state'), 'state-1');
    assert.equal(plain.searchParams.get('redirect_uri'), REQUEST.redirectUri);
    const forwarding = await oidc({ ...credentials, issuer: provider.origin, forwardResource: true }).authorizationUrl(REQUEST);
    assert.equal(forwarding.searchParams.get('resource'), REQUEST.resource);
  });

  it('github: its OAuth endpoints, PKCE, and the API scopes for the profile and verified email', async () => {
    const url = await github({ ...credentials, webUrl: provider.origin }).authorizationUrl(REQUEST);
    assert.equal(url.origin + url.pathname, `${provider.origin}/login/oauth/authorize`);
    assert.deepEqual(url.searchParams.get('scope')?.split(' '), ['read:user', 'user:email']);
    assert.equal(url.searchParams.get('code_challenge'), 'challenge-1');
  });

  it('refuses provider URLs over plain http except on this machine', () => {
    assert.throws(() => oidc({ ...credentials, issuer: 'http://login.example.com' }), /must use https/);
    assert.throws(() => github({ ...credentials, webUrl: 'http://github.example.com' }), /must use https/);
    assert.throws(() => oidc({ ...credentials, issuer: 'https://login.example.com', name: 'Bad Name' }), /lowercase/);
  });
});
