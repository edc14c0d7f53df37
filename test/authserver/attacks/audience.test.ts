import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authorize, callMcp, decodeJwt, obtainTokens, redeemCode, refresh } from '../../helpers/authorize.js';
import { APP_REDIRECT, assertErrorRedirect, assertNoSecretsLogged, openAuthorization, startAttackServer, type AttackServer } from './fixture.js';

/** A14: audience restriction with resource indicators (RFC 8707; RFC 9700 §2.3, §4.10.2). */
describe('attacks: audience and resource indicators (A14)', () => {
  let server: AttackServer;

  before(async () => {
    server = await startAttackServer();
  });
  after(async () => {
    await server?.close();
  });

  it('A14 resource=https://other.example/mcp gets invalid_target and no code', async () => {
    const { step } = await openAuthorization({ ...server.flow, resource: 'https://other.example/mcp' });
    assertErrorRedirect(step, 'invalid_target', server.urls.issuer);
  });

  it("A14 near misses of this server's resource get invalid_target", async () => {
    const resource = server.urls.resource;
    const variants = [
      `${resource}/`,
      `${resource}x`,
      resource.replace('/mcp', '/MCP'),
      server.urls.issuer,
      `${resource}?x=1`,
      resource.replace('localhost', 'LOCALHOST'),
      resource.replace('localhost', '127.0.0.2'), // loopback, but not a name the server answers to
      resource.replace(/:(\d+)\//, (_m, port: string) => `:${Number(port) + 1}/`),
    ];
    for (const variant of variants) {
      const { step } = await openAuthorization({ ...server.flow, resource: variant });
      assertErrorRedirect(step, 'invalid_target', server.urls.issuer, variant);
    }
  });

  it('A14 another loopback name of this local server is a resource of its own: exact audience, good under that name only', async () => {
    const alias = server.urls.resource.replace('localhost', '127.0.0.1');
    const tokens = await obtainTokens({ ...server.flow, resource: alias });
    assert.equal(decodeJwt(tokens.accessToken)['aud'], alias);
    assert.equal((await callMcp({ urls: { ...server.urls, resource: alias } }, tokens.accessToken)).status, 200);
    assert.equal((await callMcp(server, tokens.accessToken)).status, 401, 'refused under localhost');
  });

  it("A14 the access token's aud is exactly this MCP resource when it is requested", async () => {
    const tokens = await obtainTokens({ ...server.flow, resource: server.urls.resource });
    const claims = decodeJwt(tokens.accessToken);
    assert.equal(claims['aud'], server.urls.resource);
    assert.equal(claims['iss'], server.urls.issuer);
    assert.equal((await callMcp(server, tokens.accessToken)).status, 200);
  });

  it('A14 without a resource parameter the token is for this server’s resource', async () => {
    const tokens = await obtainTokens(server.flow);
    assert.equal(decodeJwt(tokens.accessToken)['aud'], server.urls.resource);
  });

  it('A14 a foreign resource at the token endpoint gets invalid_target', async () => {
    const flow = await authorize(server.flow);
    const response = await redeemCode(server, {
      client: { clientId: server.app.clientId },
      code: flow.params.get('code')!,
      redirectUri: APP_REDIRECT,
      codeVerifier: flow.codeVerifier,
      resource: 'https://other.example/mcp',
    });
    assert.equal(response.status, 400);
    assert.equal(response.body['error'], 'invalid_target');
    assert.equal(response.body['access_token'], undefined);
  });

  it('A14 a refresh asking for a resource that was never granted gets invalid_target', async () => {
    const tokens = await obtainTokens(server.flow);
    const response = await refresh(server, {
      client: { clientId: server.app.clientId },
      refreshToken: tokens.refreshToken,
      resource: 'https://other.example/mcp',
    });
    assert.equal(response.status, 400);
    assert.equal(response.body['error'], 'invalid_target');
    assert.equal(response.body['access_token'], undefined);
  });

  it('A14 a refresh naming this resource keeps the audience', async () => {
    const tokens = await obtainTokens(server.flow);
    const response = await refresh(server, { client: { clientId: server.app.clientId }, refreshToken: tokens.refreshToken, resource: server.urls.resource });
    assert.equal(response.status, 200);
    assert.equal(decodeJwt(String(response.body['access_token']))['aud'], server.urls.resource);
  });

  it('A13 the logs hold none of the secrets this suite handled', () => {
    assertNoSecretsLogged(server);
  });
});
