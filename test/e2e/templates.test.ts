import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser as Chromium } from 'playwright-core';
import { authorizationUrl, Browser, isConsentPage, isLoginPage, registerClient, type PageStep, type Step } from '../helpers/authorize.js';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { CallbackServer } from '../helpers/oauth-client.js';

// The only markup an email may carry (accounts refuse < > and "), placed in a single-quoted attribute below.
const EMAIL = "o'reilly&`co@example.com";
const ADMIN = 'admin@example.com';
const HOSTILE_NAME = '<script>alert(1)</script>';
const REDIRECT = 'http://127.0.0.1:9/callback';
const LAYOUT_CSS = 'body{font-family:serif}.acme{border:3px solid #0b6e4f}';
// A provider's username is shown as the account's name, and nothing stops it being markup.
const HOSTILE_USERNAME = '<img src=x onerror=alert(2)>';

/** The operator's templates: each marks itself, and shows the data it was given. */
const TEMPLATES: Record<string, string> = {
  'layout.html': `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{title}} · Acme portal</title>
<style>${LAYOUT_CSS}</style>{{{styles}}}</head>
<body><div class="acme" data-layout="acme">{{{body}}}</div></body></html>`,
  'login.html': `<section data-template="login"><h1>Acme: {{title}}</h1>
{{#client}}<p class="app">{{name}}{{^verified}} (unverified){{/verified}}</p>{{/client}}
{{#error}}<p role="alert">{{error}}</p>{{/error}}
{{#password}}<form method="post" action="{{action}}"><input type="hidden" name="csrf" value="{{csrf}}">
<label>Email <input name="email" type="email" value='{{email}}'></label><label>Password <input name="password" type="password"></label>
<button type="submit">Enter</button></form>{{/password}}</section>`,
  'consent.html': `<section data-template="consent"><h1>Let <span class="app">{{client.name}}</span> in?</h1>
<p>As <b class="who" title='{{email}}'>{{email}}</b>, then to {{destination}}.</p>
<ul>{{#scopes}}<li>{{description}} <code>{{name}}</code></li>{{/scopes}}</ul>
<form method="post" action="{{action}}"><input type="hidden" name="csrf" value="{{csrf}}">
<button type="submit" name="decision" value="allow">Yes</button><button type="submit" name="decision" value="deny">No</button></form></section>`,
  'account.html': `<section data-template="account"><h1>Acme account of <span class="who">{{email}}</span></h1>
<ul>{{#apps}}<li class="app">{{clientName}}, allowed {{grantedAt}}, last used {{lastUsedAt}}</li>{{/apps}}</ul>
<ol>{{#activity}}<li class="event">{{what}}{{#app}} by {{name}}{{/app}}</li>{{/activity}}</ol>
<form method="post" action="{{signOutAction}}"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Leave</button></form></section>`,
  'admin.html': `<div data-template="admin"><nav>{{#sections}}{{#current}}<b>{{label}}</b>{{/current}}{{^current}}<a href="{{href}}">{{label}}</a>{{/current}} {{/sections}}</nav>
<h1>Acme console: {{title}}</h1><p class="who">{{admin}}</p>{{{body}}}</div>`,
  'admin-people.html': `<section data-template="admin-people"><form method="get" action="{{searchAction}}"><input name="q" value="{{query}}"></form>
<ul>{{#people}}<li class="person" data-id="{{id}}"><a href="{{href}}">{{label}}</a>{{#disabled}} (off){{/disabled}}{{#admin}} (admin){{/admin}}, since {{createdAt}}
<form method="post" action="{{toggle.action}}"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">{{toggle.label}}</button></form></li>{{/people}}</ul>
{{^people}}<p class="none">Nobody by that name.</p>{{/people}}</section>`,
  'admin-clients.html': `<section data-template="admin-clients"><ul>{{#clients}}<li class="client" data-id="{{clientId}}">{{name}} ({{kind}}), last used {{lastUsedAt}}
<form method="post" action="{{removeAction}}"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="client_id" value="{{clientId}}"><button type="submit">Drop</button></form></li>{{/clients}}</ul>
{{#policy.dynamicRegistration}}<p class="policy">{{label}}: {{#on}}on{{/on}}{{^on}}off{{/on}} ({{source}})</p>{{/policy.dynamicRegistration}}
<ul>{{#presets}}<li class="preset">{{displayName}}{{#allowed}}, allowed{{/allowed}}</li>{{/presets}}</ul></section>`,
  'error.html': `<section data-template="error"><h1>Acme: that did not work</h1><p class="code">{{error}}</p>{{#description}}<p class="why">{{description}}</p>{{/description}}</section>`,
};

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The headers the server keeps setting whatever a template says. */
function assertPageHeaders(headers: Headers, where: string) {
  const csp = headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/, `${where}: ${csp}`);
  assert.match(csp, /frame-ancestors 'none'/, where);
  assert.doesNotMatch(csp, /unsafe-inline|script-src/, where);
  assert.ok(csp.includes(sha256(LAYOUT_CSS)), `${where}: the layout's style is allowed by its hash: ${csp}`);
  assert.equal(headers.get('x-frame-options'), 'DENY', where);
  assert.equal(headers.get('cache-control'), 'no-store', where);
  assert.equal(headers.get('x-content-type-options'), 'nosniff', where);
  assert.equal(headers.get('referrer-policy'), 'same-origin', where);
}

function page(step: Step, where: string): PageStep {
  assert.equal(step.kind, 'page', `${where}: a page, not a redirect`);
  return step as PageStep;
}

describe('a server with a templates directory: the pages are the operator’s, the data escaped, the protections the server’s', () => {
  let server: EmbeddedTestServer;
  let hostileClient: string;
  /** The hostile name again, as a second app: one whose consent nobody has given yet. */
  let freshClient: () => Promise<string>;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-templates-e2e-'));
    for (const [name, text] of Object.entries(TEMPLATES)) writeFileSync(join(dir, name), text);
    server = await startEmbedded({ templatesDir: dir });
    await server.accounts.create(EMAIL, PASSWORD);
    await server.accounts.create(ADMIN, PASSWORD, { admin: true });
    freshClient = async () => {
      const registered = await registerClient(server, { client_name: HOSTILE_NAME, redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
      return String(registered.body['client_id']);
    };
    hostileClient = await freshClient();
  });
  after(async () => server?.close());

  it('signs in and asks consent on the overridden pages, a dynamically registered name escaped on both', async () => {
    const browser = new Browser(server);
    const login = page(await browser.navigate(authorizationUrl({ server, clientId: hostileClient, redirectUri: REDIRECT }).url), 'sign-in');
    assert.ok(isLoginPage(login), 'the template’s form posts to the sign-in');
    assert.match(login.body, /^<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Sign in · Acme portal<\/title>/);
    assert.ok(login.body.includes('<section data-template="login"><h1>Acme: Sign in</h1>'));
    assert.ok(login.body.includes('<p class="app">&lt;script&gt;alert(1)&lt;/script&gt; (unverified)</p>'), 'the name escaped, marked unverified');
    assert.ok(!login.body.includes(HOSTILE_NAME), 'never the name as markup');
    assertPageHeaders(login.headers, 'sign-in');

    const refused = page(await browser.submit(login, { email: EMAIL, password: 'not the password' }), 'refused sign-in');
    assert.ok(refused.body.includes(`value='o&#39;reilly&amp;&#96;co@example.com'`), `the email escaped in a single-quoted attribute: ${refused.body}`);

    const consent = page(await browser.submit(login, { email: EMAIL, password: PASSWORD }), 'consent');
    assert.ok(isConsentPage(consent));
    assert.ok(consent.body.includes('<h1>Let <span class="app">&lt;script&gt;alert(1)&lt;/script&gt;</span> in?</h1>'), consent.body);
    assert.ok(consent.body.includes(`title='o&#39;reilly&amp;&#96;co@example.com'>o&#39;reilly&amp;&#96;co@example.com</b>`), 'the email escaped');
    assert.ok(consent.body.includes('<code>read:whoami</code>'), 'the scopes');
    assertPageHeaders(consent.headers, 'consent');

    const done = await browser.submit(consent, { decision: 'allow' });
    assert.equal(done.kind, 'redirect', 'the template’s Allow finishes the authorization');
    assert.ok(done.kind === 'redirect' && done.location.href.startsWith(REDIRECT) && done.location.searchParams.get('code'));
  });

  it('still needs a valid CSRF token for a sign-in or consent posted from an overridden page', async () => {
    const browser = new Browser(server);
    const login = page(await browser.navigate(authorizationUrl({ server, clientId: await freshClient(), redirectUri: REDIRECT }).url), 'sign-in');
    assert.ok(login.form?.csrf, 'the template placed the token');
    for (const [what, csrf] of [
      ['none', undefined],
      ['empty', ''],
      ['altered', `${login.form.csrf}x`],
    ] as const) {
      const step = page(
        await browser.post(login.form.action, { email: EMAIL, password: PASSWORD, ...(csrf !== undefined && { csrf }) }),
        `sign-in, ${what} token`,
      );
      assert.equal(step.status, 403, `sign-in with ${what} token`);
      assert.ok(step.body.includes('<section data-template="error">'), 'the refusal is the operator’s error page');
      assertPageHeaders(step.headers, 'the error page');
    }
    const consent = page(await browser.submit(login, { email: EMAIL, password: PASSWORD }), 'consent');
    assert.ok(isConsentPage(consent));
    for (const csrf of [undefined, '', `${consent.form.csrf}x`]) {
      const step = page(await browser.post(consent.form.action, { decision: 'allow', ...(csrf !== undefined && { csrf }) }), 'forged consent');
      assert.equal(step.status, 403, `consent with token ${JSON.stringify(csrf)}`);
    }
    const other = await new Browser(server).post(consent.form.action, { decision: 'allow', csrf: consent.form.csrf });
    assert.equal(other.kind, 'page', 'another browser cannot use the token the template showed');
    assert.equal((await browser.submit(consent, { decision: 'allow' })).kind, 'redirect', 'the real form still goes through');
  });

  it('renders an error from inside the authorization server with the error template and the page headers', async () => {
    const response = await fetch(`${server.urls.issuer}/auth?client_id=no-such-client&response_type=code`);
    const body = await response.text();
    assert.equal(response.status, 400);
    assert.ok(body.includes('<p class="code">invalid_client</p>'), body);
    assert.ok(body.includes('data-layout="acme"'));
    assertPageHeaders(response.headers, 'error');
  });

  it('shows the account page from its template: the apps, the activity worded, the escaped email', async () => {
    const browser = new Browser(server);
    const login = page(await browser.navigate(`${server.urls.issuer}/account`), 'account sign-in');
    assert.ok(login.body.includes('<h1>Acme: Sign in to your account</h1>'), 'the same sign-in template, with its title');
    const account = page(await browser.submit(login, { email: EMAIL, password: PASSWORD }), 'account');
    assert.ok(account.body.includes('<h1>Acme account of <span class="who">o&#39;reilly&amp;&#96;co@example.com</span></h1>'), account.body);
    assert.match(account.body, /<li class="app">&lt;script&gt;alert\(1\)&lt;\/script&gt;, allowed \d{4}-\d\d-\d\d \d\d:\d\d UTC, last used /);
    assert.match(account.body, /<li class="event">App allowed by &lt;script&gt;alert\(1\)&lt;\/script&gt;<\/li>/);
    assert.match(account.body, /<li class="event">Signed in<\/li>/);
    assertPageHeaders(account.headers, 'account');
    const signedOut = await browser.submit(account, {});
    assert.equal(page(signedOut, 'signed out').form?.action.pathname.endsWith('/account/login'), true, 'Leave signs out, with the token');
  });

  /** A browser signed in to the console on its own form (a fresh password check: changes go through). */
  async function adminBrowser(): Promise<Browser> {
    const browser = new Browser(server);
    const login = page(await browser.navigate(`${server.urls.issuer}/admin`), 'admin sign-in');
    assert.ok(login.body.includes('<h1>Acme: Sign in to the admin console</h1>'));
    await browser.submit(login, { email: ADMIN, password: PASSWORD });
    return browser;
  }

  /** The form a template put in the list item `data-id="<id>"`: where it posts, and the token it carries. */
  function rowForm(body: string, id: string): { action: string; csrf: string } {
    const item = new RegExp(`<li class="\\w+" data-id="${id}">[\\s\\S]*?</li>`).exec(body)?.[0] ?? '';
    const action = /<form method="post" action="([^"]+)">/.exec(item)?.[1];
    const csrf = /name="csrf" value="([^"]+)"/.exec(item)?.[1];
    assert.ok(action && csrf, `a form with its token for ${id}: ${item || body}`);
    return { action: action.replace(/&amp;/g, '&'), csrf };
  }

  it('frames the admin console with admin.html, around a section that has no template of its own', async () => {
    const browser = await adminBrowser();
    const person = await server.accounts.resolve(EMAIL);
    const step = page(await browser.navigate(`${server.urls.issuer}/admin/people/${person.id}`), 'a person');
    assert.equal(step.status, 200);
    assert.ok(
      step.body.includes('<div data-template="admin"><nav><a href="/admin">Overview</a> <b>People</b> <a href="/admin/clients">Clients</a>'),
      step.body,
    );
    assert.ok(step.body.includes('<h1>Acme console: o&#39;reilly&amp;&#96;co@example.com</h1><p class="who">admin@example.com</p>'));
    assert.ok(step.body.includes('<h2>Connected apps</h2>'), 'the built-in section');
    assert.ok(step.body.includes('&lt;script&gt;alert(1)&lt;/script&gt;</strong>'), 'its values escaped');
    assertPageHeaders(step.headers, 'admin');
  });

  it('shows the people section from admin-people.html: hostile names escaped, its Disable form guarded by the CSRF token', async () => {
    const hostile = await server.accounts.signInWithIdentity(
      { source: 'github', subject: '4242', username: HOSTILE_USERNAME, emailVerified: false },
      { linkByVerifiedEmail: false },
    );
    const person = await server.accounts.resolve(EMAIL);
    const browser = await adminBrowser();
    const people = page(await browser.navigate(`${server.urls.issuer}/admin/people`), 'people');
    assert.equal(people.status, 200);
    assert.ok(people.body.includes('<div data-template="admin"><nav><a href="/admin">Overview</a> <b>People</b>'), 'inside the frame');
    assert.ok(people.body.includes('<section data-template="admin-people"><form method="get" action="/admin/people"><input name="q" value="">'), people.body);
    assert.ok(
      people.body.includes(`<a href="/admin/people/${person.id}">o&#39;reilly&amp;&#96;co@example.com</a>, since `),
      'the email escaped (quote, ampersand, backtick)',
    );
    assert.ok(people.body.includes(`<a href="/admin/people/${hostile.id}">&lt;img src=x onerror=alert(2)&gt; (github)</a>`), 'the username escaped');
    assert.ok(!people.body.includes(HOSTILE_USERNAME) && !people.body.includes("o'reilly"), 'never as markup');
    assert.match(people.body, /admin@example\.com<\/a> \(admin\), since \d{4}-\d\d-\d\d \d\d:\d\d UTC/, 'the role and a formatted time');
    assertPageHeaders(people.headers, 'people');

    const searched = page(await browser.navigate(`${server.urls.issuer}/admin/people?q=nobody-at-all`), 'an empty search');
    assert.ok(searched.body.includes('<input name="q" value="nobody-at-all"></form>\n<ul></ul>\n<p class="none">Nobody by that name.</p>'), searched.body);

    const disable = rowForm(people.body, person.id);
    assert.equal(disable.action, `/admin/people/${person.id}/disable`);
    for (const [what, csrf] of [
      ['no', undefined],
      ['an altered', `${disable.csrf}x`],
    ] as const) {
      const refused = page(await browser.post(new URL(disable.action, server.urls.issuer), { ...(csrf !== undefined && { csrf }) }), `${what} token`);
      assert.equal(refused.status, 403, `Disable with ${what} token`);
      assert.equal((await server.accounts.resolve(EMAIL)).disabled, false, `nothing changed with ${what} token`);
    }
    const stranger = await new Browser(server).post(new URL(disable.action, server.urls.issuer), { csrf: disable.csrf });
    assert.equal(stranger.kind === 'page' && stranger.status, 403, 'another browser cannot use the token the template showed');

    const done = page(await browser.post(new URL(disable.action, server.urls.issuer), { csrf: disable.csrf }), 'disabled');
    assert.equal((await server.accounts.resolve(EMAIL)).disabled, true, 'the template’s form disables the person');
    assert.equal(done.url.pathname, `/admin/people/${person.id}`);
    const after = page(await browser.navigate(`${server.urls.issuer}/admin/people`), 'people again');
    assert.ok(after.body.includes('o&#39;reilly&amp;&#96;co@example.com</a> (off), since'), 'listed as disabled');
    const enable = rowForm(after.body, person.id);
    assert.equal(enable.action, `/admin/people/${person.id}/enable`);
    await browser.post(new URL(enable.action, server.urls.issuer), { csrf: enable.csrf });
    assert.equal((await server.accounts.resolve(EMAIL)).disabled, false, 'and enables them again');
  });

  it('shows the clients section from admin-clients.html: a hostile client name escaped, its Drop form guarded by the CSRF token', async () => {
    const doomed = await freshClient();
    const registered = async () => (await server.clients.known()).some((client) => client.client_id === doomed);
    const browser = await adminBrowser();
    const clients = page(await browser.navigate(`${server.urls.issuer}/admin/clients`), 'clients');
    assert.equal(clients.status, 200);
    assert.ok(clients.body.includes('<nav><a href="/admin">Overview</a> <a href="/admin/people">People</a> <b>Clients</b>'), 'inside the frame');
    assert.ok(
      clients.body.includes(`<li class="client" data-id="${doomed}">&lt;script&gt;alert(1)&lt;/script&gt; (registered itself), last used never`),
      clients.body,
    );
    assert.ok(!clients.body.includes(HOSTILE_NAME), 'never the name as markup');
    assert.ok(clients.body.includes('<p class="policy">Dynamic registration: on (the start-up setting)</p>'), 'the policy, in words');
    assert.ok(clients.body.includes('<li class="preset">Claude Code</li>'), 'the presets');
    assertPageHeaders(clients.headers, 'clients');

    const drop = rowForm(clients.body, doomed);
    assert.equal(drop.action, '/admin/clients/remove');
    for (const [what, csrf] of [
      ['no', undefined],
      ['an altered', `${drop.csrf}x`],
    ] as const) {
      const refused = page(
        await browser.post(new URL(drop.action, server.urls.issuer), { client_id: doomed, ...(csrf !== undefined && { csrf }) }),
        `${what} token`,
      );
      assert.equal(refused.status, 403, `Drop with ${what} token`);
      assert.ok(await registered(), `the client stays with ${what} token`);
    }
    const done = page(await browser.post(new URL(drop.action, server.urls.issuer), { client_id: doomed, csrf: drop.csrf }), 'dropped');
    assert.equal(await registered(), false, 'the template’s form removes the client');
    assert.equal(done.url.pathname, '/admin/clients');
    assert.ok(!done.body.includes(`data-id="${doomed}"`), 'and it is no longer listed');
    assert.ok(done.body.includes(`data-id="${hostileClient}"`), 'the other one still is');
  });

  it('keeps the built-in page where no template names it (the landing page), inside the layout', async () => {
    const response = await fetch(`${server.urls.origin}/`, { headers: { Accept: 'text/html' } });
    const body = await response.text();
    assert.ok(body.includes('<div class="acme" data-layout="acme"><h1>Embedded test</h1>'), body);
    assert.ok(body.includes('<h2>Connect an app</h2>'));
    assertPageHeaders(response.headers, 'landing');
  });
});

describe('overridden sign-in and consent in Chromium', () => {
  let server: EmbeddedTestServer;
  let chromium: Chromium;
  let clientId: string;
  let callback: CallbackServer;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-templates-chromium-'));
    for (const [name, text] of Object.entries(TEMPLATES)) writeFileSync(join(dir, name), text);
    server = await startEmbedded({ templatesDir: dir });
    await server.accounts.create(EMAIL, PASSWORD);
    callback = await CallbackServer.start();
    const registered = await registerClient(server, { client_name: HOSTILE_NAME, redirect_uris: [callback.url], token_endpoint_auth_method: 'none' });
    clientId = String(registered.body['client_id']);
    chromium = await launchBrowser();
  });
  after(async () => {
    await chromium?.close();
    await callback?.close();
    await server?.close();
  });

  it('a person signs in and allows the app from the operator’s pages; the hostile name is text, no script runs', async () => {
    const context = await chromium.newContext();
    const tab = await context.newPage();
    const dialogs: string[] = [];
    tab.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const violations: string[] = [];
    tab.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    try {
      await tab.goto(authorizationUrl({ server, clientId, redirectUri: callback.url }).url.href);
      assert.equal(await tab.locator('[data-template=login]').count(), 1, 'the sign-in template');
      assert.equal(await tab.locator('p.app').textContent(), `${HOSTILE_NAME} (unverified)`);
      // The layout's own style applies: its hash is in the CSP the server sent.
      assert.equal(await tab.evaluate(() => getComputedStyle(document.querySelector('.acme')!).borderTopColor), 'rgb(11, 110, 79)');
      await screenshot(tab, 'templates-login');
      await tab.fill('input[name=email]', EMAIL);
      await tab.fill('input[name=password]', PASSWORD);
      await Promise.all([tab.waitForLoadState('load'), tab.click('button[type=submit]')]);

      assert.equal(await tab.locator('[data-template=consent]').count(), 1, `the consent template, at ${tab.url()}`);
      assert.equal(await tab.locator('span.app').textContent(), HOSTILE_NAME);
      assert.equal(await tab.locator('b.who').textContent(), EMAIL);
      await screenshot(tab, 'templates-consent');
      const [answer] = await Promise.all([callback.next(), tab.click('button[value=allow]')]);
      assert.ok(answer.get('code'), `back at the app with a code: ${answer}`);
      assert.deepEqual(dialogs, [], 'no script ran');
      assert.deepEqual(violations, [], 'nothing the templates use is blocked');
    } finally {
      await context.close();
    }
  });
});
