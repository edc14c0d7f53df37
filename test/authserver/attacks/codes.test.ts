import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authorize, callMcp, introspect, obtainTokens, redeemCode, refresh, type ClientCredentials } from '../../helpers/authorize.js';
import { APP_REDIRECT, assertNoSecretsLogged, startAttackServer, type AttackServer } from './fixture.js';

/** A6 (codes are bound to their client and redirect URI) and A7 (codes are single use, even under a race). */
describe('attacks: authorization codes (A6, A7)', () => {
  let server: AttackServer;
  let app: ClientCredentials;
  let other: ClientCredentials;
  let twoRedirects: ClientCredentials;
  let resourceServer: ClientCredentials;

  before(async () => {
    server = await startAttackServer();
    app = { clientId: server.app.clientId };
    other = { clientId: (await server.clients.add({ name: 'Other app', redirectUris: [APP_REDIRECT] })).client_id };
    twoRedirects = { clientId: (await server.clients.add({ name: 'Two redirects', redirectUris: ['https://two.test/a', 'https://two.test/b'] })).client_id };
    const rs = await server.clients.add({ resourceServer: true });
    resourceServer = { clientId: rs.client_id, clientSecret: rs.client_secret! };
  });
  after(async () => {
    await server?.close();
  });

  it("A6 another client cannot redeem the app's code, even with the right verifier and redirect_uri", async () => {
    const flow = await authorize(server.flow);
    const stolen = await redeemCode(server, { client: other, code: flow.params.get('code')!, redirectUri: APP_REDIRECT, codeVerifier: flow.codeVerifier });
    assert.equal(stolen.status, 400);
    assert.equal(stolen.body['error'], 'invalid_grant');
    assert.equal(stolen.body['access_token'], undefined);
  });

  it('A6 a redirect_uri at the token endpoint that differs from the authorization request gets invalid_grant', async () => {
    const flow = await authorize({ ...server.flow, clientId: twoRedirects.clientId, redirectUri: 'https://two.test/a' });
    const response = await redeemCode(server, {
      client: twoRedirects,
      code: flow.params.get('code')!,
      redirectUri: 'https://two.test/b',
      codeVerifier: flow.codeVerifier,
    });
    assert.equal(response.status, 400);
    assert.equal(response.body['error'], 'invalid_grant');
  });

  it("A6 a near miss of the authorization request's redirect_uri at the token endpoint gets invalid_grant", async () => {
    for (const redirectUri of [`${APP_REDIRECT}/`, `${APP_REDIRECT}?x=1`, 'https://evil.example/cb']) {
      const flow = await authorize(server.flow);
      const response = await redeemCode(server, { client: app, code: flow.params.get('code')!, redirectUri, codeVerifier: flow.codeVerifier });
      assert.equal(response.status, 400, redirectUri);
      assert.equal(response.body['error'], 'invalid_grant', redirectUri);
    }
  });

  it('A7 a code redeemed twice: the second gets invalid_grant and the tokens of the first die with the grant', async () => {
    const flow = await authorize(server.flow);
    const request = { client: app, code: flow.params.get('code')!, redirectUri: APP_REDIRECT, codeVerifier: flow.codeVerifier };
    const first = await redeemCode(server, request);
    assert.equal(first.status, 200);
    const accessToken = String(first.body['access_token']);
    const refreshToken = String(first.body['refresh_token']);
    assert.equal((await callMcp(server, accessToken)).status, 200, 'the access token works before the replay');

    const second = await redeemCode(server, request);
    assert.equal(second.status, 400);
    assert.equal(second.body['error'], 'invalid_grant');

    const refreshed = await refresh(server, { client: app, refreshToken });
    assert.equal(refreshed.status, 400, "the first redemption's refresh token is dead");
    assert.equal(refreshed.body['error'], 'invalid_grant');
    assert.equal((await callMcp(server, accessToken)).status, 401, "the first redemption's access token is dead at the MCP endpoint");
  });

  it('A7 after a replayed code, introspection reports the first redemption’s tokens inactive', async () => {
    const flow = await authorize(server.flow);
    const request = { client: app, code: flow.params.get('code')!, redirectUri: APP_REDIRECT, codeVerifier: flow.codeVerifier };
    const first = await redeemCode(server, request);
    assert.equal(first.status, 200);
    await redeemCode(server, request);
    for (const token of [first.body['access_token'], first.body['refresh_token']]) {
      const response = await introspect(server, { client: resourceServer, token: String(token) });
      assert.equal(response.status, 200);
      assert.equal(response.body['active'], false);
    }
  });

  it('A7 20 parallel redemptions of one code: exactly one succeeds', async () => {
    const flow = await authorize(server.flow);
    const request = { client: app, code: flow.params.get('code')!, redirectUri: APP_REDIRECT, codeVerifier: flow.codeVerifier };
    const responses = await Promise.all(Array.from({ length: 20 }, () => redeemCode(server, request)));
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses.join(' ')}`);
    for (const response of responses.filter((r) => r.status !== 200)) {
      assert.equal(response.status, 400);
      assert.equal(response.body['error'], 'invalid_grant');
    }
  });

  it('A7 a normal flow is unaffected: one redemption, working tokens', async () => {
    const tokens = await obtainTokens(server.flow);
    assert.equal((await callMcp(server, tokens.accessToken)).status, 200);
  });

  it('A13 the logs hold none of the secrets this suite handled', () => {
    assertNoSecretsLogged(server);
  });
});
