import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Accounts } from '../../../src/authserver/people/accounts.js';
import { embedded } from '../../../src/authserver/embedded.js';
import { ClientRegistry } from '../../../src/authserver/clients/registry.js';
import { gatehouse, whoamiTool } from '../../../src/index.js';
import { openStore } from '../../../src/store/index.js';
import { authorizationUrl, Browser, isLoginPage, openConsent, parseForm, type Step } from '../../helpers/authorize.js';
import { captureLogger, rawRequest } from '../../helpers/server.js';
import { assertNoSecretsLogged, EMAIL, newApp, openAuthorization, PASSWORD, startAttackServer, type AttackServer } from './fixture.js';

const EVIL_ORIGIN = 'http://evil.example';

function assertForbidden(step: Step, label: string): void {
  assert.equal(step.kind, 'page', `${label}: expected a refusal, got a redirect to ${step.kind === 'redirect' ? step.location.href : ''}`);
  assert.equal(step.status, 403, `${label}: status`);
}

/** A10 (CSRF on login and consent, cookie attributes) and A12 (POSTs answer 303, never 307/308). */
describe('attacks: CSRF and form posts (A10, A12)', () => {
  let server: AttackServer;

  before(async () => {
    server = await startAttackServer();
  });
  after(async () => {
    await server?.close();
  });

  it('A10 a consent POST without the csrf field is refused with 403', async () => {
    const { browser, page } = await openConsent(await newApp(server));
    assertForbidden(await browser.post(page.form.action, { decision: 'allow' }), 'no csrf');
    assertForbidden(await browser.post(page.form.action, { decision: 'allow', csrf: '' }), 'empty csrf');
    assertForbidden(await browser.post(page.form.action, { decision: 'allow', csrf: `${page.form.csrf}x` }), 'altered csrf');
    const honest = await browser.submit(page, { decision: 'allow' });
    assert.equal(honest.kind, 'redirect', 'the real form still goes through afterwards');
    assert.ok(honest.kind === 'redirect' && honest.location.searchParams.get('code'));
  });

  it("A10 a consent POST carrying another interaction's csrf token is refused with 403", async () => {
    const victim = await openConsent(await newApp(server));
    const attacker = await openConsent(await newApp(server)); // the attacker's own flow, in the attacker's browser
    assertForbidden(await victim.browser.post(victim.page.form.action, { decision: 'allow', csrf: attacker.page.form.csrf }), "the attacker's token");
  });

  it('A10 a consent POST from a cross-site page (Origin: http://evil.example) is refused with 403, even with the right token', async () => {
    const { browser, page } = await openConsent(await newApp(server));
    assertForbidden(await browser.submit(page, { decision: 'allow' }, { origin: EVIL_ORIGIN }), 'evil origin');
  });

  it("A10 another browser cannot complete someone's consent, even with their form's token", async () => {
    const victim = await openConsent(await newApp(server));
    const other = new Browser(server);
    const step = await other.post(victim.page.form.action, { decision: 'allow', csrf: victim.page.form.csrf });
    assert.equal(step.kind, 'page', 'no redirect to the client');
    assert.ok(step.status === 400 || step.status === 403, `status ${step.status}`);
  });

  it('A10 a login POST without csrf, or from another origin, is refused with 403', async () => {
    const first = await openAuthorization(server.flow);
    assert.ok(isLoginPage(first.step));
    assertForbidden(await first.browser.post(first.step.form.action, { email: EMAIL, password: PASSWORD }), 'no csrf');

    const second = await openAuthorization(server.flow);
    assert.ok(isLoginPage(second.step));
    assertForbidden(await second.browser.submit(second.step, { email: EMAIL, password: PASSWORD }, { origin: EVIL_ORIGIN }), 'evil origin');
  });

  it('A10 the account sign-in POST without csrf or from another origin is refused with 403', async () => {
    const browser = new Browser(server);
    const page = await browser.navigate(`${server.urls.issuer}/account`);
    assert.ok(page.kind === 'page' && page.form);
    assertForbidden(await browser.post(page.form.action, { email: EMAIL, password: PASSWORD }), 'no csrf');
    assertForbidden(await browser.submit(page, { email: EMAIL, password: PASSWORD }, { origin: EVIL_ORIGIN }), 'evil origin');
    assert.deepEqual(
      browser.jar.all().filter((c) => c.name.includes('account')),
      [],
      'no session cookie was set',
    );
  });

  it("A10 every cookie is __Host-, Secure, HttpOnly, SameSite=Lax and Path=/, the provider's included", async () => {
    const { browser, page } = await openConsent(await newApp(server));
    await browser.submit(page, { decision: 'allow' });
    const account = await browser.navigate(`${server.urls.issuer}/account`);
    assert.ok(account.kind === 'page');
    await browser.submit(account, { email: EMAIL, password: PASSWORD });
    const cookies = browser.setCookies;
    assert.ok(
      cookies.some((c) => /^__Host-gatehouse_interaction_[0-9a-f]{8}=/.test(c)) && cookies.some((c) => /^__Host-gatehouse_session_[0-9a-f]{8}=/.test(c)),
      'saw the flow cookies',
    );
    for (const cookie of cookies) {
      const attributes = cookie.split(';').map((a) => a.trim().toLowerCase());
      assert.ok(cookie.startsWith('__Host-'), `__Host-: ${cookie}`);
      assert.ok(attributes.includes('secure'), `Secure: ${cookie}`);
      assert.ok(attributes.includes('path=/'), `Path=/: ${cookie}`);
      assert.ok(attributes.includes('httponly'), `HttpOnly: ${cookie}`);
      assert.ok(attributes.includes('samesite=lax'), `SameSite=Lax: ${cookie}`);
      assert.ok(!attributes.some((a) => a.startsWith('domain=')), `host-only: ${cookie}`);
    }
    const accountCookie = cookies.find((c) => /^__Host-gatehouse_account_[0-9a-f]{8}=./.test(c));
    assert.ok(accountCookie, `the account session cookie is __Host- prefixed: ${cookies.filter((c) => c.includes('account')).join(' | ')}`);
    const attributes = accountCookie.split(';').map((a) => a.trim().toLowerCase());
    assert.ok(attributes.includes('secure'));
    assert.ok(attributes.includes('path=/'));
  });

  it('A12 login and consent POSTs (allow and deny) answer 303', async () => {
    for (const decision of ['allow', 'deny'] as const) {
      const { browser, page } = await openConsent(await newApp(server));
      const answer = await browser.submit(page, { decision });
      assert.equal(answer.kind, 'redirect');
      const posts = browser.hops.filter((h) => h.method === 'POST');
      assert.deepEqual(
        posts.map((h) => `${h.url.pathname.split('/').pop()} ${h.status}`),
        ['login 303', 'consent 303'],
        decision,
      );
    }
  });

  it('A12 account sign-in and sign-out POSTs answer 303, and no step of any flow answers 307 or 308', async () => {
    const browser = new Browser(server);
    const page = await browser.navigate(`${server.urls.issuer}/account`);
    assert.ok(page.kind === 'page');
    const signedIn = await browser.submit(page, { email: EMAIL, password: PASSWORD });
    assert.ok(signedIn.kind === 'page' && signedIn.form, 'the account page');
    const signOut = parseForm(signedIn.body.slice(signedIn.body.lastIndexOf('<form')), signedIn.url);
    assert.ok(signOut);
    assert.ok(signOut.action.pathname.endsWith('/logout'));
    await browser.post(signOut.action, { csrf: signOut.csrf });
    const posts = browser.hops.filter((h) => h.method === 'POST').map((h) => `${h.url.pathname} ${h.status}`);
    assert.deepEqual(posts, ['/account/login 303', '/account/logout 303']);
    const flow = await openConsent(await newApp(server));
    await flow.browser.submit(flow.page, { decision: 'allow' });
    for (const hop of [...browser.hops, ...flow.browser.hops])
      assert.ok(hop.status !== 307 && hop.status !== 308, `${hop.method} ${hop.url.pathname} ${hop.status}`);
  });

  it('A13 the logs hold none of the secrets this suite handled', () => {
    assertNoSecretsLogged(server);
  });
});

describe('attacks: cookies behind an https public URL (A10)', () => {
  it('A10 with an https public URL every cookie the flow sets is Secure', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-attacks-'));
    const store = await openStore('memory:');
    const { logger } = captureLogger();
    const running = await gatehouse({ name: 'https test', auth: embedded({ dataDir, store }), publicUrl: 'https://gatehouse.test', logger })
      .addTool(whoamiTool)
      .listen(0);
    try {
      const client = await new ClientRegistry(store).add({ name: 'App', redirectUris: ['https://app.test/cb'] });
      const base = `http://127.0.0.1:${running.port}`;
      const { url } = authorizationUrl({ server: running, clientId: client.client_id, redirectUri: 'https://app.test/cb' });
      const start = await rawRequest(`${base}${url.pathname}${url.search}`, { headers: { host: 'gatehouse.test' } });
      assert.equal(start.status, 303, start.body);
      const location = new URL(String(start.headers.location), 'https://gatehouse.test');
      assert.equal(location.origin, 'https://gatehouse.test');
      const cookies = [start.headers['set-cookie'] ?? []].flat();
      assert.ok(cookies.length > 0, 'the interaction cookies');
      const page = await rawRequest(`${base}${location.pathname}`, {
        headers: { host: 'gatehouse.test', cookie: cookies.map((c) => c.split(';')[0]).join('; ') },
      });
      assert.equal(page.status, 200);
      const account = await rawRequest(`${base}/account`, { headers: { host: 'gatehouse.test' } });
      const form = parseForm(account.body, new URL('https://gatehouse.test/account'))!;
      const csrfCookie = [account.headers['set-cookie'] ?? []].flat();
      cookies.push(...csrfCookie);
      await new Accounts(store).create(EMAIL, PASSWORD);
      const signIn = await rawRequest(`${base}${form.action.pathname}`, {
        method: 'POST',
        headers: {
          host: 'gatehouse.test',
          origin: 'https://gatehouse.test',
          'content-type': 'application/x-www-form-urlencoded',
          cookie: csrfCookie.map((c) => c.split(';')[0]).join('; '),
        },
        body: new URLSearchParams({ csrf: form.csrf, email: EMAIL, password: PASSWORD }).toString(),
      });
      assert.equal(signIn.status, 303);
      cookies.push(...[signIn.headers['set-cookie'] ?? []].flat());
      assert.ok(cookies.some((c) => /^__Host-gatehouse_account_[0-9a-f]{8}=/.test(c)));
      for (const cookie of cookies) {
        const attributes = cookie.split(';').map((a) => a.trim().toLowerCase());
        assert.ok(attributes.includes('secure'), `Secure: ${cookie}`);
        assert.ok(attributes.includes('httponly'), `HttpOnly: ${cookie}`);
      }
    } finally {
      await running.close();
    }
  });
});
