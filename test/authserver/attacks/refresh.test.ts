import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callMcp, obtainTokens, refresh, type ClientCredentials } from '../../helpers/authorize.js';
import { assertNoSecretsLogged, startAttackServer, type AttackServer } from './fixture.js';

/** A8: refresh token replay, races, scope widening and theft by another client (RFC 9700 §2.2.2, §4.14.2). */
describe('attacks: refresh tokens (A8)', () => {
  let server: AttackServer;
  let app: ClientCredentials;
  let other: ClientCredentials;

  before(async () => {
    server = await startAttackServer();
    app = { clientId: server.app.clientId };
    other = { clientId: (await server.clients.add({ name: 'Other app', redirectUris: ['https://other.test/cb'] })).client_id };
  });
  after(async () => {
    await server?.close();
  });

  it('A8 RT1 → RT2 rotates: a new refresh token and a working access token', async () => {
    const rt1 = await obtainTokens(server.flow);
    const second = await refresh(server, { client: app, refreshToken: rt1.refreshToken });
    assert.equal(second.status, 200);
    assert.ok(second.body['refresh_token'], 'a new refresh token');
    assert.notEqual(second.body['refresh_token'], rt1.refreshToken);
    assert.equal((await callMcp(server, String(second.body['access_token']))).status, 200);
    const third = await refresh(server, { client: app, refreshToken: String(second.body['refresh_token']) });
    assert.equal(third.status, 200, 'RT2 refreshes in turn');
  });

  it('A8 reusing RT1 gets invalid_grant and revokes the family: RT2 and its access token die too', async () => {
    const rt1 = await obtainTokens(server.flow);
    const second = await refresh(server, { client: app, refreshToken: rt1.refreshToken });
    assert.equal(second.status, 200);
    const rt2 = String(second.body['refresh_token']);
    const at2 = String(second.body['access_token']);

    const replay = await refresh(server, { client: app, refreshToken: rt1.refreshToken });
    assert.equal(replay.status, 400);
    assert.equal(replay.body['error'], 'invalid_grant');

    const afterReplay = await refresh(server, { client: app, refreshToken: rt2 });
    assert.equal(afterReplay.status, 400, 'RT2 is dead');
    assert.equal(afterReplay.body['error'], 'invalid_grant');
    assert.equal((await callMcp(server, at2)).status, 401, "RT2's access token is dead");
    assert.equal((await callMcp(server, rt1.accessToken)).status, 401, 'the first access token is dead');
  });

  it('A8 parallel refreshes with one refresh token: at most one succeeds', async () => {
    const tokens = await obtainTokens(server.flow);
    const responses = await Promise.all(Array.from({ length: 10 }, () => refresh(server, { client: app, refreshToken: tokens.refreshToken })));
    const statuses = responses.map((r) => r.status);
    assert.ok(statuses.filter((s) => s === 200).length <= 1, `statuses: ${statuses.join(' ')}`);
    for (const response of responses.filter((r) => r.status !== 200)) assert.equal(response.body['error'], 'invalid_grant');
  });

  it("A8 two simultaneous uses of one refresh token: one wins, and the grant is revoked so the winner's tokens die too (RFC 9700 §4.14.2)", async () => {
    // A few rounds: whichever request loses, at the atomic consume or after reading the token spent, the outcome is the same.
    for (let round = 0; round < 3; round++) {
      const tokens = await obtainTokens(server.flow);
      const responses = await Promise.all([0, 1].map(() => refresh(server, { client: app, refreshToken: tokens.refreshToken })));
      const winners = responses.filter((r) => r.status === 200);
      assert.equal(winners.length, 1, `statuses: ${responses.map((r) => r.status).join(' ')}`);
      assert.equal(responses.find((r) => r.status !== 200)!.body['error'], 'invalid_grant');
      const winner = winners[0]!.body;
      assert.equal((await callMcp(server, String(winner['access_token']))).status, 401, `round ${round}: the winner's access token is dead`);
      assert.equal((await callMcp(server, tokens.accessToken)).status, 401, `round ${round}: the first access token is dead`);
      const next = await refresh(server, { client: app, refreshToken: String(winner['refresh_token']) });
      assert.equal(next.status, 400, `round ${round}: the winner's refresh token is dead`);
      assert.equal(next.body['error'], 'invalid_grant');
    }
  });

  it('A8 a refresh asking for more scope than granted gets invalid_scope', async () => {
    const tokens = await obtainTokens(server.flow); // granted: read:whoami
    for (const scope of ['read:whoami profile', 'read:whoami offline_access email', 'admin']) {
      const response = await refresh(server, { client: app, refreshToken: tokens.refreshToken, scope });
      assert.equal(response.status, 400, scope);
      assert.equal(response.body['error'], 'invalid_scope', scope);
      assert.equal(response.body['access_token'], undefined);
    }
    const same = await refresh(server, { client: app, refreshToken: tokens.refreshToken, scope: 'read:whoami' });
    assert.equal(same.status, 200, 'the granted scope is still fine');
    assert.equal(same.body['scope'], 'read:whoami');
  });

  it('A8 another client presenting the refresh token gets invalid_grant', async () => {
    const tokens = await obtainTokens(server.flow);
    const stolen = await refresh(server, { client: other, refreshToken: tokens.refreshToken });
    assert.equal(stolen.status, 400);
    assert.equal(stolen.body['error'], 'invalid_grant');
    assert.equal(stolen.body['access_token'], undefined);
  });

  it('A8 an unknown or malformed refresh token gets invalid_grant', async () => {
    for (const refreshToken of ['not-a-refresh-token', 'A'.repeat(43), '']) {
      const response = await refresh(server, { client: app, refreshToken });
      assert.equal(response.status, 400, JSON.stringify(refreshToken));
      assert.ok(['invalid_grant', 'invalid_request'].includes(String(response.body['error'])), String(response.body['error']));
    }
  });

  it('A13 the logs hold none of the secrets this suite handled', () => {
    assertNoSecretsLogged(server);
  });
});
