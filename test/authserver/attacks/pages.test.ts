import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmbedded, type EmbeddedTestServer } from '../../helpers/embedded-server.js';
import {
  authorize,
  Browser,
  introspect,
  isConsentPage,
  isLoginPage,
  nativeClientMetadata,
  redeemCode,
  refresh,
  registerClient,
  rememberSecret,
  type PageStep,
  type Step,
} from '../../helpers/authorize.js';
import { APP_REDIRECT, assertNoSecretsLogged, EMAIL, newApp, openAuthorization, PASSWORD, startAttackServer, type AttackServer } from './fixture.js';

const WRONG_PASSWORD = 'not the password 12345';

function page(step: Step, label: string): PageStep {
  assert.equal(step.kind, 'page', `${label}: expected a page`);
  return step as PageStep;
}

/** A11 (clickjacking) and A13 (token leakage: caching, referrers, implicit flow, CORS, logs). */
describe('attacks: page headers and token leakage (A11, A13)', () => {
  let server: AttackServer;
  let fresh: EmbeddedTestServer;
  /** Every kind of HTML page the server shows, by what it is. */
  const pages = new Map<string, PageStep>();

  before(async () => {
    server = await startAttackServer({ registrationsPerHour: 1000 });
    fresh = await startEmbedded(); // no account yet: its setup link works

    const flow = await newApp(server);
    const { step: login, browser } = await openAuthorization(flow);
    pages.set('login', page(login, 'login'));
    assert.ok(isLoginPage(login));
    rememberSecret(server, WRONG_PASSWORD);
    pages.set('login failed', page(await browser.submit(login, { email: EMAIL, password: WRONG_PASSWORD }), 'login failed'));
    pages.set('login forbidden (no csrf)', page(await browser.post(login.form!.action, { email: EMAIL, password: PASSWORD }), 'forbidden'));
    const consent = await browser.submit(login, { email: EMAIL, password: PASSWORD });
    assert.ok(isConsentPage(consent));
    pages.set('consent', consent);
    pages.set('consent forbidden (evil origin)', page(await browser.submit(consent, { decision: 'allow' }, { origin: 'http://evil.example' }), 'forbidden'));

    pages.set('authorization error (unknown client)', page((await openAuthorization({ ...flow, clientId: 'no-such-client' })).step, 'authorization error'));
    pages.set(
      'authorization error (bad redirect_uri)',
      page((await openAuthorization({ ...flow, redirectUri: 'https://evil.example/cb' })).step, 'authorization error'),
    );
    const other = new Browser(server);
    pages.set('interaction expired', page(await other.navigate(`${server.urls.issuer}/interaction/not-a-real-interaction`), 'interaction error'));
    pages.set('interaction of another browser', page(await other.navigate(login.url), 'interaction error'));
    pages.set('resume without cookie', page(await other.navigate(`${server.urls.issuer}/auth/not-a-real-interaction`), 'resume error'));

    const account = new Browser(server);
    const accountLogin = page(await account.navigate(`${server.urls.issuer}/account`), 'account sign-in');
    pages.set('account sign-in', accountLogin);
    pages.set('account sign-in failed', page(await account.submit(accountLogin, { email: EMAIL, password: WRONG_PASSWORD }), 'account sign-in failed'));
    pages.set('account sign-in forbidden', page(await account.post(accountLogin.form!.action, { email: EMAIL, password: PASSWORD }), 'account forbidden'));
    pages.set('account', page(await account.submit(accountLogin, { email: EMAIL, password: PASSWORD }), 'account'));
    pages.set('account with notice', page(await account.navigate(`${server.urls.issuer}/account?notice=revoked`), 'account notice'));

    pages.set('setup link invalid', page(await new Browser(server).navigate(`${server.urls.issuer}/setup?token=nope`), 'setup invalid'));
    const setupLink = fresh.notices.join('\n').match(/https?:\/\/\S+\/setup\?token=\S+/)?.[0];
    assert.ok(setupLink, 'the fresh server prints a setup link');
    const setupBrowser = new Browser(fresh);
    const setup = page(await setupBrowser.navigate(setupLink), 'setup');
    pages.set('setup', setup);
    pages.set('setup forbidden', page(await setupBrowser.post(setup.form!.action, { email: EMAIL, password: PASSWORD }), 'setup forbidden'));
  });
  after(async () => {
    await fresh?.close();
    await server?.close();
  });

  it('A11 the pages under test are the ones intended (sanity)', () => {
    const statuses = Object.fromEntries([...pages].map(([label, p]) => [label, p.status]));
    assert.deepEqual(statuses, {
      login: 200,
      'login failed': 401,
      'login forbidden (no csrf)': 403,
      consent: 200,
      'consent forbidden (evil origin)': 403,
      'authorization error (unknown client)': 400,
      'authorization error (bad redirect_uri)': 400,
      'interaction expired': 400,
      'interaction of another browser': 400,
      'resume without cookie': 400,
      'account sign-in': 200,
      'account sign-in failed': 401,
      'account sign-in forbidden': 403,
      account: 200,
      'account with notice': 200,
      'setup link invalid': 404,
      setup: 200,
      'setup forbidden': 403,
    });
  });

  it("A11 every interaction, account, setup and error page has CSP frame-ancestors 'none' and X-Frame-Options: DENY", () => {
    for (const [label, p] of pages) {
      const csp = p.headers.get('content-security-policy') ?? '';
      assert.match(csp, /(^|;)\s*frame-ancestors 'none'\s*(;|$)/, `${label}: CSP ${csp}`);
      assert.equal(p.headers.get('x-frame-options'), 'DENY', `${label}: X-Frame-Options`);
      assert.match(p.headers.get('content-type') ?? '', /^text\/html/, `${label}: HTML`);
    }
  });

  // same-origin, not no-referrer: other sites get no referrer, and our own form posts carry our Origin (not `null`).
  it('A13 every such page sends Referrer-Policy: same-origin and Cache-Control: no-store', () => {
    for (const [label, p] of pages) {
      assert.equal(p.headers.get('referrer-policy'), 'same-origin', `${label}: Referrer-Policy`);
      assert.equal(p.headers.get('cache-control'), 'no-store', `${label}: Cache-Control`);
    }
  });

  it('A13 token responses, successful or not, are Cache-Control: no-store', async () => {
    const flow = await authorize(server.flow);
    const client = { clientId: server.app.clientId };
    const request = { client, code: flow.params.get('code')!, redirectUri: APP_REDIRECT, codeVerifier: flow.codeVerifier };
    const issued = await redeemCode(server, request);
    assert.equal(issued.status, 200);
    const replayed = await redeemCode(server, request);
    assert.equal(replayed.status, 400);
    const fresh = await authorize(server.flow);
    const tokens = await redeemCode(server, { ...request, code: fresh.params.get('code')!, codeVerifier: fresh.codeVerifier });
    const refreshed = await refresh(server, { client, refreshToken: String(tokens.body['refresh_token']) });
    assert.equal(refreshed.status, 200);
    for (const [label, response] of Object.entries({ issued, replayed, refreshed })) {
      assert.equal(response.headers.get('cache-control'), 'no-store', `${label}: Cache-Control`);
    }
  });

  it('A13 registration responses, successful or not, are Cache-Control: no-store', async () => {
    const created = await registerClient(server, nativeClientMetadata('http://127.0.0.1/cb', { token_endpoint_auth_method: 'client_secret_basic' }));
    assert.equal(created.status, 201);
    assert.ok(created.body['client_secret'], 'a confidential registration returns a secret');
    const refused = await registerClient(server, nativeClientMetadata('javascript:alert(1)'));
    assert.equal(refused.status, 400);
    for (const [label, response] of Object.entries({ created, refused })) {
      assert.equal(response.headers.get('cache-control'), 'no-store', `${label}: Cache-Control`);
    }
  });

  it('A13 introspection responses, successful or not, are Cache-Control: no-store', async () => {
    const rs = await server.clients.add({ resourceServer: true });
    const answered = await introspect(server, { client: { clientId: rs.client_id, clientSecret: rs.client_secret! }, token: 'unknown-token-value' });
    assert.equal(answered.status, 200);
    const refused = await introspect(server, { token: 'unknown-token-value' });
    assert.equal(refused.status, 401);
    for (const [label, response] of Object.entries({ answered, refused })) {
      assert.equal(response.headers.get('cache-control'), 'no-store', `${label}: Cache-Control`);
    }
  });

  it('A13 response_type=token and the other implicit or hybrid types are refused without issuing a token', async () => {
    for (const responseType of ['token', 'id_token', 'id_token token', 'code token', 'code id_token', 'code id_token token', 'none']) {
      const { step, browser } = await openAuthorization({ ...server.flow, extraParams: { response_type: responseType } });
      assert.equal(step.kind, 'redirect', `${responseType}: refused back to the client`);
      const params = new URLSearchParams(step.kind === 'redirect' ? `${step.location.search.slice(1)}&${step.location.hash.slice(1)}` : '');
      assert.equal(params.get('error'), 'unsupported_response_type', responseType);
      assert.equal(params.get('access_token'), null, responseType);
      assert.equal(params.get('code'), null, responseType);
      assert.equal(browser.hops.length, 1, `${responseType}: before any sign-in`);
    }
    const metadata = (await (await fetch(`${server.urls.issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    assert.deepEqual(metadata['response_types_supported'], ['code']);
  });

  it('A13 the password grant (ROPC) is refused', async () => {
    const response = await fetch(`${server.urls.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: EMAIL, password: PASSWORD, client_id: server.app.clientId }).toString(),
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as Record<string, unknown>)['error'], 'unsupported_grant_type');
  });

  it('A13 the authorization endpoint and the pages send no CORS headers to another origin', async () => {
    const browser = new Browser(server, { headers: { origin: 'http://evil.example' } });
    const { step } = await openAuthorization(await newApp(server), browser);
    assert.ok(isLoginPage(step));
    assert.deepEqual(
      browser.hops.map((hop) => `${hop.url.pathname.split('/')[1]} ${hop.headers.get('access-control-allow-origin')}`),
      ['auth null', 'interaction null'],
    );
  });

  it('A13 the logs hold none of the secrets this suite handled (codes, tokens, passwords, client secrets)', () => {
    assertNoSecretsLogged(server);
  });
});
