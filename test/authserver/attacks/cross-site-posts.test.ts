import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmbedded, type EmbeddedTestServer } from '../../helpers/embedded-server.js';
import { authorizationUrl, authorize, Browser, isLoginPage, openConsent, parseForm, type HtmlForm, type Step } from '../../helpers/authorize.js';
import { APP_REDIRECT, EMAIL, newApp, openAuthorization, PASSWORD, startAttackServer, type AttackServer } from './fixture.js';
import { isUpstreamChoice, startGitHubFederated, upstreamAction, type FederatedTestServer } from '../../helpers/federated.js';

/** One state-changing form of our pages, as the browser that loaded it would post it. */
interface PostedForm {
  browser: Browser;
  form: HtmlForm;
  fields: Record<string, string>;
}

function assertRefused(step: Step, label: string): void {
  assert.equal(step.kind, 'page', `${label}: refused, not redirected (${step.kind === 'redirect' ? step.location.href : ''})`);
  assert.equal(step.status, 403, `${label}: status`);
}

/** The three ways a page's form can be posted from elsewhere, each refused before anything changes. */
function refusesForeignPosts(forms: Record<string, () => Promise<PostedForm>>): void {
  for (const [name, load] of Object.entries(forms)) {
    it(`${name}: Origin: null is refused with 403, even with the right token`, async () => {
      const { browser, form, fields } = await load();
      assertRefused(await browser.post(form.action, { csrf: form.csrf, ...fields }, { origin: 'null' }), name);
    });

    it(`${name}: no Origin and Sec-Fetch-Site: cross-site is refused with 403, even with the right token`, async () => {
      const { browser, form, fields } = await load();
      const step = await browser.navigate(form.action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
        body: new URLSearchParams({ csrf: form.csrf, ...fields }).toString(),
      });
      assertRefused(step, name);
    });

    it(`${name}: the token another browser loaded is refused with 403 (tokens are bound to the browser)`, async () => {
      const victim = await load();
      const attacker = await load();
      assertRefused(await victim.browser.post(victim.form.action, { ...victim.fields, csrf: attacker.form.csrf }), name);
    });
  }
}

/** Item 3: no login CSRF. Every POST refuses foreign origins from headers alone and wants this browser's token. */
describe('attacks: cross-site and replayed form posts', () => {
  let server: AttackServer;
  let fresh: EmbeddedTestServer;

  before(async () => {
    server = await startAttackServer();
    await authorize(server.flow); // one connected app, so the account page has a Disconnect form
    fresh = await startEmbedded(); // no account yet: its setup link works
  });
  after(async () => {
    await server?.close();
    await fresh?.close();
  });

  /** Every page form that changes something, freshly loaded in its own browser. */
  const forms: Record<string, () => Promise<PostedForm>> = {
    'interaction login': async () => {
      const { step, browser } = await openAuthorization(await newApp(server));
      assert.ok(isLoginPage(step));
      return { browser, form: step.form, fields: { email: EMAIL, password: PASSWORD } };
    },
    'interaction consent': async () => {
      const { browser, page } = await openConsent(await newApp(server));
      return { browser, form: page.form, fields: { decision: 'allow' } };
    },
    'account sign-in': async () => {
      const browser = new Browser(server);
      const page = await browser.navigate(`${server.urls.issuer}/account`);
      assert.ok(page.kind === 'page' && page.form);
      return { browser, form: page.form, fields: { email: EMAIL, password: PASSWORD } };
    },
    'account sign-out': async () => {
      const { browser, page } = await signedInAccount();
      return { browser, form: parseForm(page.slice(page.lastIndexOf('<form')), new URL(`${server.urls.issuer}/account`))!, fields: {} };
    },
    'account disconnect': async () => {
      const { browser, page } = await signedInAccount();
      const form = parseForm(page.slice(page.indexOf('<form')), new URL(`${server.urls.issuer}/account`))!;
      assert.ok(form.action.pathname.endsWith('/revoke'));
      return { browser, form, fields: { client_id: server.app.clientId } };
    },
    setup: async () => {
      const link = fresh.notices.join('\n').match(/https?:\/\/\S+\/setup\?token=\S+/)?.[0];
      assert.ok(link, 'the fresh server prints a setup link');
      const browser = new Browser(fresh);
      const page = await browser.navigate(link);
      assert.ok(page.kind === 'page' && page.form);
      return { browser, form: page.form, fields: { email: EMAIL, password: PASSWORD } };
    },
  };

  /** A browser signed in on the account page, with one app connected (so it shows a Disconnect button). */
  async function signedInAccount(): Promise<{ browser: Browser; page: string }> {
    const browser = new Browser(server);
    const start = await browser.navigate(`${server.urls.issuer}/account`);
    assert.ok(start.kind === 'page');
    const page = await browser.submit(start, { email: EMAIL, password: PASSWORD });
    assert.ok(page.kind === 'page' && page.body.includes('Sign out'));
    return { browser, page: page.body };
  }

  refusesForeignPosts(forms);

  it('the account sign-in form carries a different token in every browser', async () => {
    const one = await forms['account sign-in']!();
    const two = await forms['account sign-in']!();
    assert.notEqual(one.form.csrf, two.form.csrf);
  });

  it('a login CSRF with a token the attacker loaded does not sign the victim in', async () => {
    const attacker = await forms['account sign-in']!();
    const victim = new Browser(server);
    await victim.navigate(`${server.urls.issuer}/account`); // the victim has visited before: it holds its own browser cookie
    const step = await victim.post(attacker.form.action, { csrf: attacker.form.csrf, email: EMAIL, password: PASSWORD });
    assertRefused(step, 'replayed sign-in');
    assert.deepEqual(
      victim.jar.all().filter((c) => c.name.includes('account')),
      [],
      'no account session',
    );
  });
});

/**
 * Item 3 in federated mode: the forms that start a sign-in at the upstream provider ("continue with GitHub", on
 * an authorization's page and on the account page) are state-changing posts too. Taken, they would send the
 * victim's browser to GitHub with a flow the attacker started (the interaction's one also approves the app).
 */
describe('attacks: cross-site and replayed posts of the upstream sign-in forms', () => {
  let server: FederatedTestServer;
  let clientId: string;

  before(async () => {
    server = await startGitHubFederated();
    clientId = (await server.clients.add({ name: 'Federated test app', redirectUris: [APP_REDIRECT] })).client_id;
  });
  after(async () => {
    await server?.close();
  });

  const forms: Record<string, () => Promise<PostedForm>> = {
    'interaction upstream': async () => {
      const browser = new Browser(server);
      const page = await browser.navigate(authorizationUrl({ server, clientId, redirectUri: APP_REDIRECT }).url);
      assert.ok(isUpstreamChoice(page), 'the page offering GitHub');
      return { browser, form: { action: upstreamAction(page)!, csrf: page.form.csrf }, fields: { source: 'github' } };
    },
    'account upstream': async () => {
      const browser = new Browser(server);
      const page = await browser.navigate(`${server.urls.issuer}/account`);
      assert.ok(page.kind === 'page' && page.form?.action.pathname === '/account/upstream', 'the account sign-in page offering GitHub');
      return { browser, form: page.form, fields: { source: 'github' } };
    },
  };

  for (const [name, load] of Object.entries(forms)) {
    it(`${name}: posted as its own page posts it, the form goes on to GitHub`, async () => {
      const { browser, form, fields } = await load();
      const step = await browser.post(form.action, { csrf: form.csrf, ...fields });
      assert.equal(step.kind, 'redirect', `${name}: ${step.status}`);
      assert.equal(step.kind === 'redirect' && step.location.origin, new URL(server.github.url).origin);
    });
  }

  refusesForeignPosts(forms);
});
