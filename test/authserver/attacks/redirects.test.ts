import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authorize, decodeJwt, redeemCode } from '../../helpers/authorize.js';
import {
  APP_REDIRECT,
  assertErrorPage,
  assertErrorRedirect,
  assertNoSecretsLogged,
  openAuthorization,
  startAttackServer,
  type AttackServer,
} from './fixture.js';

/**
 * A1 (exact redirect URI matching) and A2 (the authorization server is no open redirector), RFC 9700 §4.1.3,
 * §4.11.2 and RFC 8252 §7.3, black-box over loopback HTTP.
 */
describe('attacks: redirect URIs (A1, A2)', () => {
  let server: AttackServer;
  let loopbackClient: string;
  let localhostClient: string;
  let otherClient: string;

  before(async () => {
    server = await startAttackServer();
    loopbackClient = (await server.clients.add({ name: 'Loopback app', redirectUris: ['http://127.0.0.1/cb'] })).client_id;
    localhostClient = (await server.clients.add({ name: 'Localhost app', redirectUris: ['http://localhost/cb'] })).client_id;
    otherClient = (await server.clients.add({ name: 'Never approved app', redirectUris: ['https://other.test/cb'] })).client_id;
  });
  after(async () => {
    await server?.close();
  });

  it('A1 the registered redirect URI, exactly, is accepted', async () => {
    const flow = await authorize(server.flow);
    assert.equal(`${flow.location.origin}${flow.location.pathname}`, APP_REDIRECT);
    assert.ok(flow.params.get('code'));
  });

  it('A1 every near miss of https://app.test/cb gets a 400 error page with no Location', async () => {
    const variants = [
      'https://app.test/cb/',
      'https://app.test/cb?x=1',
      'https://app.test/cb?',
      'https://app.test/CB',
      'https://APP.TEST/cb',
      'HTTPS://app.test/cb',
      'http://app.test/cb',
      'https://app.test:443/cb',
      'https://app.test:8443/cb',
      'https://app.test/cb#f',
      'https://app.test/cb#',
      'https://app.test.evil/cb',
      'https://app.test@evil/cb',
      'https://evil@app.test/cb',
      'https://evil.example/https://app.test/cb',
      'https://app.test/cb/../x',
      'https://app.test/x/../cb',
      'https://app.test/./cb',
      'https://app.test/cb%2F..%2Fx',
      'https://app.test%2Fcb',
      'https://app.test%2F@evil/cb',
      'https://app.test/%63b',
      'https://app.test/cb%20',
      'https://app.test/cb ',
      'https://app.test/cb\\',
      '//app.test/cb',
      '/cb',
    ];
    for (const redirectUri of variants) {
      assertErrorPage(await openAuthorization({ ...server.flow, redirectUri }), JSON.stringify(redirectUri));
    }
  });

  it('A1 a loopback IP redirect accepts any port and nothing else', async () => {
    const flow = await authorize({ ...server.flow, clientId: loopbackClient, redirectUri: 'http://127.0.0.1:53123/cb' });
    assert.equal(flow.location.origin, 'http://127.0.0.1:53123');
    assert.equal(flow.location.pathname, '/cb');
    const code = flow.params.get('code');
    assert.ok(code, 'code delivered to the ephemeral port');
    const tokens = await redeemCode(server, {
      client: { clientId: loopbackClient },
      code,
      redirectUri: 'http://127.0.0.1:53123/cb',
      codeVerifier: flow.codeVerifier,
    });
    assert.equal(tokens.status, 200, 'the code redeems with the same port-bearing redirect_uri');
    assert.equal(decodeJwt(String(tokens.body['access_token']))['client_id'], loopbackClient);

    const refused = [
      'http://127.0.0.1:53123/other',
      'http://127.0.0.1:53123/cb/',
      'http://127.0.0.1:53123/cb?x=1',
      'http://127.0.0.1:53123/CB',
      'http://localhost:53123/cb',
      'http://localhost/cb',
      'http://[::1]:53123/cb',
      'http://127.0.0.2:53123/cb',
      'http://127.1:53123/cb',
      'https://127.0.0.1:53123/cb',
      'http://127.0.0.1:53123@evil.example/cb',
      'http://evil.example@127.0.0.1:53123/cb',
      'http://127.0.0.1:53123/cb#x',
      'http://127.0.0.1:abc/cb',
    ];
    for (const redirectUri of refused) {
      assertErrorPage(await openAuthorization({ ...server.flow, clientId: loopbackClient, redirectUri }), redirectUri);
    }
  });

  it('A1 a localhost redirect is not satisfied by 127.0.0.1', async () => {
    assertErrorPage(
      await openAuthorization({ ...server.flow, clientId: localhostClient, redirectUri: 'http://127.0.0.1:53123/cb' }),
      '127.0.0.1 for localhost',
    );
    assertErrorPage(await openAuthorization({ ...server.flow, clientId: localhostClient, redirectUri: 'http://localhost:53123/other' }), 'other path');
  });

  it('A2 an unknown client_id never redirects, whatever redirect_uri it names', async () => {
    for (const redirectUri of ['https://evil.example/cb', APP_REDIRECT, 'http://127.0.0.1:53123/cb']) {
      assertErrorPage(await openAuthorization({ ...server.flow, clientId: 'no-such-client', redirectUri }), `unknown client → ${redirectUri}`);
    }
    assertErrorPage(await openAuthorization({ ...server.flow, clientId: '', redirectUri: 'https://evil.example/cb' }), 'empty client_id');
  });

  it('A2 an unregistered redirect_uri never redirects, even with other errors in the request', async () => {
    const evil = 'https://evil.example/cb';
    assertErrorPage(await openAuthorization({ ...server.flow, redirectUri: evil }), 'plain');
    assertErrorPage(await openAuthorization({ ...server.flow, redirectUri: evil, codeChallenge: null }), 'and no PKCE');
    assertErrorPage(await openAuthorization({ ...server.flow, redirectUri: evil, extraParams: { response_type: 'token' } }), 'and response_type=token');
    assertErrorPage(await openAuthorization({ ...server.flow, redirectUri: evil, extraParams: { prompt: 'none' } }), 'and prompt=none');
    assertErrorPage(await openAuthorization({ ...server.flow, redirectUri: evil, resource: 'https://other.example/mcp' }), 'and a foreign resource');
  });

  it('A2 prompt=none without a session answers login_required and no code', async () => {
    const { step } = await openAuthorization({ ...server.flow, extraParams: { prompt: 'none' } });
    assertErrorRedirect(step, 'login_required', server.urls.issuer);
  });

  it('A2 prompt=none for a client the signed-in person never approved answers consent_required and no code', async () => {
    const signedIn = await authorize(server.flow); // the person approved the app, and has a session now
    assert.ok(signedIn.params.get('code'));
    const { step } = await openAuthorization(
      { ...server.flow, clientId: otherClient, redirectUri: 'https://other.test/cb', extraParams: { prompt: 'none' } },
      signedIn.browser,
    );
    assertErrorRedirect(step, 'consent_required', server.urls.issuer);
  });

  it('A2 a deny goes back to the client only after the person signed in and saw the consent page', async () => {
    const flow = await authorize({ ...server.flow, clientId: otherClient, redirectUri: 'https://other.test/cb', decision: 'deny' });
    assert.equal(flow.params.get('error'), 'access_denied');
    assert.equal(flow.params.get('code'), null);
    assert.deepEqual(
      flow.pages.map((p) => p.form?.action.pathname.split('/').pop()),
      ['login', 'consent'],
      'the login and consent pages came before the redirect',
    );
  });

  it('A2 an unknown scope does not bounce the person back before sign-in, and is not granted', async () => {
    const { step } = await openAuthorization({ ...server.flow, scope: 'read:whoami admin:everything' });
    assert.equal(step.kind, 'page', 'the login page, not an early redirect');
    const flow = await authorize({ ...server.flow, scope: 'read:whoami admin:everything' });
    const tokens = await redeemCode(server, {
      client: { clientId: server.app.clientId },
      code: flow.params.get('code')!,
      redirectUri: APP_REDIRECT,
      codeVerifier: flow.codeVerifier,
    });
    assert.equal(tokens.status, 200);
    assert.equal(tokens.body['scope'], 'read:whoami');
  });

  it('A13 the logs hold none of the secrets this suite handled', () => {
    assertNoSecretsLogged(server);
  });
});
