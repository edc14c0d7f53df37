import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authorize, pkcePair, redeemCode } from '../../helpers/authorize.js';
import { APP_REDIRECT, assertErrorRedirect, assertNoSecretsLogged, openAuthorization, startAttackServer, type AttackServer } from './fixture.js';

/** A4 (code injection: PKCE S256 for everyone) and A5 (PKCE downgrade), RFC 9700 §2.1.1, §4.5, §4.8. */
describe('attacks: PKCE (A4, A5)', () => {
  let server: AttackServer;
  let confidential: { clientId: string; clientSecret: string };
  const redeem = (code: string, codeVerifier: string | undefined) =>
    redeemCode(server, { client: { clientId: server.app.clientId }, code, redirectUri: APP_REDIRECT, codeVerifier });

  before(async () => {
    server = await startAttackServer();
    const record = await server.clients.add({ name: 'Confidential app', redirectUris: ['https://conf.test/cb'], confidential: true });
    confidential = { clientId: record.client_id, clientSecret: record.client_secret! };
  });
  after(async () => {
    await server?.close();
  });

  it('A4 metadata advertises S256 and only S256', async () => {
    const metadata = (await (await fetch(`${server.urls.issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    assert.deepEqual(metadata['code_challenge_methods_supported'], ['S256']);
  });

  it('A4 an authorization request without code_challenge is refused (invalid_request, no code)', async () => {
    const { step } = await openAuthorization({ ...server.flow, codeChallenge: null });
    assertErrorRedirect(step, 'invalid_request', server.urls.issuer);
  });

  it('A4 code_challenge_method=plain is refused', async () => {
    const { verifier } = pkcePair();
    const { step } = await openAuthorization({ ...server.flow, codeChallenge: verifier, codeChallengeMethod: 'plain' });
    assertErrorRedirect(step, 'invalid_request', server.urls.issuer);
  });

  it('A4 a challenge without a method (which would mean plain) or with an unknown method is refused', async () => {
    const { challenge } = pkcePair();
    assertErrorRedirect(
      (await openAuthorization({ ...server.flow, codeChallenge: challenge, codeChallengeMethod: null })).step,
      'invalid_request',
      server.urls.issuer,
      'no method',
    );
    assertErrorRedirect(
      (await openAuthorization({ ...server.flow, codeChallenge: challenge, codeChallengeMethod: 'S512' })).step,
      'invalid_request',
      server.urls.issuer,
      'S512',
    );
    assertErrorRedirect(
      (await openAuthorization({ ...server.flow, codeChallenge: challenge, codeChallengeMethod: 's256' })).step,
      'invalid_request',
      server.urls.issuer,
      's256',
    );
  });

  it('A4 a wrong code_verifier gets invalid_grant', async () => {
    const flow = await authorize(server.flow);
    const response = await redeem(flow.params.get('code')!, pkcePair().verifier);
    assert.equal(response.status, 400);
    assert.equal(response.body['error'], 'invalid_grant');
    assert.equal(response.body['access_token'], undefined);
  });

  it('A4 the code_verifier of another flow gets invalid_grant', async () => {
    const first = await authorize(server.flow);
    const second = await authorize(server.flow);
    const response = await redeem(first.params.get('code')!, second.codeVerifier);
    assert.equal(response.status, 400);
    assert.equal(response.body['error'], 'invalid_grant');
  });

  it('A4 the challenge itself is not accepted as the verifier', async () => {
    const pair = pkcePair();
    const flow = await authorize({ ...server.flow, codeChallenge: pair.challenge });
    const response = await redeem(flow.params.get('code')!, pair.challenge);
    assert.equal(response.status, 400);
    assert.equal(response.body['error'], 'invalid_grant');
  });

  it('A5 no downgrade: a confidential client without code_challenge is refused too', async () => {
    const { step } = await openAuthorization({ ...server.flow, clientId: confidential.clientId, redirectUri: 'https://conf.test/cb', codeChallenge: null });
    assertErrorRedirect(step, 'invalid_request', server.urls.issuer);
  });

  it('A5 no downgrade: a code issued with a challenge cannot be redeemed without a verifier', async () => {
    const flow = await authorize(server.flow);
    const response = await redeem(flow.params.get('code')!, undefined);
    assert.equal(response.status, 400);
    assert.ok(['invalid_grant', 'invalid_request'].includes(String(response.body['error'])), String(response.body['error']));
    assert.equal(response.body['access_token'], undefined);
  });

  it('A5 no downgrade: a confidential client authenticating with its secret still needs the verifier', async () => {
    const flow = await authorize({ ...server.flow, clientId: confidential.clientId, redirectUri: 'https://conf.test/cb' });
    const code = flow.params.get('code')!;
    const without = await redeemCode(server, { client: confidential, code, redirectUri: 'https://conf.test/cb' });
    assert.equal(without.status, 400);
    assert.equal(without.body['access_token'], undefined);
  });

  it('A13 the logs hold none of the secrets this suite handled', () => {
    assertNoSecretsLogged(server);
  });
});
