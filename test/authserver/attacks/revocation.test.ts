import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callMcp, introspect, obtainTokens, refresh, revoke, type ClientCredentials } from '../../helpers/authorize.js';
import { assertNoSecretsLogged, startAttackServer, type AttackServer } from './fixture.js';

/** A15: revocation (RFC 7009) and introspection (RFC 7662). */
describe('attacks: revocation and introspection (A15)', () => {
  let server: AttackServer;
  let app: ClientCredentials;
  let other: ClientCredentials;
  let confidentialOther: ClientCredentials;
  let resourceServer: ClientCredentials;

  before(async () => {
    server = await startAttackServer();
    app = { clientId: server.app.clientId };
    other = { clientId: (await server.clients.add({ name: 'Other app', redirectUris: ['https://other.test/cb'] })).client_id };
    const secret = await server.clients.add({ name: 'Confidential other app', redirectUris: ['https://other.test/cb'], confidential: true });
    confidentialOther = { clientId: secret.client_id, clientSecret: secret.client_secret! };
    const rs = await server.clients.add({ resourceServer: true });
    resourceServer = { clientId: rs.client_id, clientSecret: rs.client_secret! };
  });
  after(async () => {
    await server?.close();
  });

  it('A15 revoking the refresh token kills the grant: no more refresh, and the access token gets 401 at the MCP endpoint', async () => {
    const tokens = await obtainTokens(server.flow);
    assert.equal((await callMcp(server, tokens.accessToken)).status, 200, 'works before');
    const response = await revoke(server, { client: app, token: tokens.refreshToken, tokenTypeHint: 'refresh_token' });
    assert.equal(response.status, 200);
    const refreshed = await refresh(server, { client: app, refreshToken: tokens.refreshToken });
    assert.equal(refreshed.status, 400);
    assert.equal(refreshed.body['error'], 'invalid_grant');
    assert.equal((await callMcp(server, tokens.accessToken)).status, 401);
  });

  it("A15 client B revoking A's refresh token has no effect, and B is answered 200 as for any token (RFC 7009 §2.2)", async () => {
    const tokens = await obtainTokens(server.flow);
    for (const client of [other, confidentialOther]) {
      const response = await revoke(server, { client, token: tokens.refreshToken });
      assert.equal(response.status, 200, `${client.clientId}: ${JSON.stringify(response.body)}`);
    }
    assert.equal((await callMcp(server, tokens.accessToken)).status, 200, "A's access token still works");
    const refreshed = await refresh(server, { client: app, refreshToken: tokens.refreshToken });
    assert.equal(refreshed.status, 200, "A's refresh token still works");
  });

  it('A15 a client revokes its access token (RFC 7009): 200, then the MCP endpoint refuses it and introspection says inactive', async () => {
    const tokens = await obtainTokens(server.flow);
    assert.equal((await callMcp(server, tokens.accessToken)).status, 200, 'works before (and is now in the verifier cache)');
    const response = await revoke(server, { client: app, token: tokens.accessToken, tokenTypeHint: 'access_token' });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal((await callMcp(server, tokens.accessToken)).status, 401, 'refused at once');
    assert.deepEqual((await introspect(server, { client: resourceServer, token: tokens.accessToken })).body, { active: false });
    // Only that token: the grant and its refresh token live on, and a refreshed access token works.
    const refreshed = await refresh(server, { client: app, refreshToken: tokens.refreshToken });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal((await callMcp(server, String(refreshed.body['access_token']))).status, 200);
  });

  it('A15 revoking an access token without a type hint, or with the wrong one, revokes it too', async () => {
    for (const tokenTypeHint of [undefined, 'refresh_token']) {
      const tokens = await obtainTokens(server.flow);
      assert.equal((await revoke(server, { client: app, token: tokens.accessToken, tokenTypeHint })).status, 200);
      assert.equal((await callMcp(server, tokens.accessToken)).status, 401, `hint ${tokenTypeHint}`);
    }
  });

  it("A15 client B revoking A's access token: 200 and no effect", async () => {
    const tokens = await obtainTokens(server.flow);
    for (const client of [other, confidentialOther]) {
      const response = await revoke(server, { client, token: tokens.accessToken });
      assert.equal(response.status, 200, `${client.clientId}: ${JSON.stringify(response.body)}`);
    }
    assert.equal((await callMcp(server, tokens.accessToken)).status, 200, "A's access token still works");
    assert.equal((await introspect(server, { client: resourceServer, token: tokens.accessToken })).body['active'], true);
  });

  it('A15 revoking an access token needs the client to authenticate: a wrong secret gets 401 and revokes nothing', async () => {
    const confidential = await server.clients.add({ name: 'Confidential app', redirectUris: [server.flow.redirectUri], confidential: true });
    const client = { clientId: confidential.client_id, clientSecret: confidential.client_secret! };
    const tokens = await obtainTokens({ ...server.flow, clientId: client.clientId, client });
    const response = await revoke(server, { client: { clientId: client.clientId, clientSecret: 'not-the-secret-at-all' }, token: tokens.accessToken });
    assert.equal(response.status, 401);
    assert.equal(response.body['error'], 'invalid_client');
    assert.equal((await callMcp(server, tokens.accessToken)).status, 200);
  });

  it('A15 a forged access token is answered 200 and revokes nothing', async () => {
    const tokens = await obtainTokens(server.flow);
    const [header, payload] = tokens.accessToken.split('.');
    const response = await revoke(server, { client: app, token: `${header}.${payload}.${'A'.repeat(86)}` });
    assert.equal(response.status, 200);
    assert.equal((await callMcp(server, tokens.accessToken)).status, 200);
  });

  it('A15 the resource server introspects a revoked refresh token: active false', async () => {
    const tokens = await obtainTokens(server.flow);
    assert.equal((await introspect(server, { client: resourceServer, token: tokens.refreshToken })).body['active'], true, 'active before');
    assert.equal((await revoke(server, { client: app, token: tokens.refreshToken, tokenTypeHint: 'refresh_token' })).status, 200);
    assert.deepEqual((await introspect(server, { client: resourceServer, token: tokens.refreshToken })).body, { active: false });
    assert.deepEqual((await introspect(server, { client: resourceServer, token: tokens.accessToken })).body, { active: false });
  });

  it('A15 introspection without client authentication gets 401', async () => {
    const tokens = await obtainTokens(server.flow);
    const response = await introspect(server, { token: tokens.accessToken });
    assert.equal(response.status, 401);
    assert.equal(response.body['error'], 'invalid_client');
    assert.equal(response.body['active'], undefined);
  });

  it('A15 introspection with a wrong secret, or by a public client, tells nothing', async () => {
    const tokens = await obtainTokens(server.flow);
    const wrong = await introspect(server, { client: { clientId: resourceServer.clientId, clientSecret: 'wrong-secret-value' }, token: tokens.accessToken });
    assert.equal(wrong.status, 401);
    for (const client of [app, other]) {
      const response = await introspect(server, { client, token: tokens.accessToken });
      assert.notEqual(response.body['active'], true, `${client.clientId} learned the token is active`);
      assert.equal(response.body['sub'], undefined);
    }
  });

  it('A15 the resource server introspects a valid access token: active, with sub, scope and aud', async () => {
    const tokens = await obtainTokens(server.flow);
    const response = await introspect(server, { client: resourceServer, token: tokens.accessToken });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.body['active'], true);
    const user = await server.accounts.findByEmail(server.flow.email);
    assert.equal(response.body['sub'], user?.id);
    assert.equal(response.body['scope'], 'read:whoami');
    const aud = response.body['aud'];
    assert.ok(aud === server.urls.resource || (Array.isArray(aud) && aud.length === 1 && aud[0] === server.urls.resource), `aud ${JSON.stringify(aud)}`);
    assert.equal(response.body['client_id'], app.clientId);
  });

  it('A15 the resource server introspects a revoked access token: active false', async () => {
    const tokens = await obtainTokens(server.flow);
    assert.equal((await revoke(server, { client: app, token: tokens.refreshToken })).status, 200);
    const response = await introspect(server, { client: resourceServer, token: tokens.accessToken });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { active: false });
  });

  it('A15 the resource server introspects unknown and forged tokens: active false', async () => {
    const tokens = await obtainTokens(server.flow);
    const [header, payload] = tokens.accessToken.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(86)}`;
    for (const token of ['unknown-token-value', forged]) {
      const response = await introspect(server, { client: resourceServer, token });
      assert.equal(response.status, 200, token.slice(0, 20));
      assert.deepEqual(response.body, { active: false });
    }
  });

  it('A13 the logs hold none of the secrets this suite handled', () => {
    assertNoSecretsLogged(server);
  });
});
