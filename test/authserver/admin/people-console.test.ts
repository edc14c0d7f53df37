import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Browser } from '../../helpers/authorize.js';
import { PASSWORD, type EmbeddedTestServer } from '../../helpers/embedded-server.js';
import { accountBrowser, ADMIN, adminBrowser, startWithAdmin, auditEvents, csrfOf, page, post, textOf } from './console-fixture.js';

describe('the admin console: people', () => {
  let server: EmbeddedTestServer;
  let adminId: string;
  before(async () => {
    ({ server, adminId } = await startWithAdmin());
  });
  after(async () => server?.close());

  it('asks a browser with no session to sign in, and shows the front page to an admin', async () => {
    const signIn = page(await new Browser(server).navigate(`${server.urls.issuer}/admin`));
    assert.match(signIn.body, /type="password"/);
    const { front } = await adminBrowser(server);
    assert.equal(front.status, 200);
    assert.equal(front.url.pathname, '/admin');
    assert.match(textOf(front), /Signed in as admin@example\.com/);
  });

  it('lists and searches people, and shows one person', async () => {
    const { browser } = await adminBrowser(server);
    const bea = await server.accounts.create('bea@example.com', PASSWORD);
    await server.accounts.create('carl@example.com', PASSWORD);
    const found = page(await browser.navigate(`${server.urls.issuer}/admin/people?q=BEA`));
    assert.equal(found.status, 200);
    assert.match(textOf(found), /bea@example\.com/);
    assert.doesNotMatch(textOf(found), /carl@example\.com/);
    const person = page(await browser.navigate(`${server.urls.issuer}/admin/people/${bea.id}`));
    assert.equal(person.status, 200);
    assert.match(textOf(person), /No apps are connected/);
    assert.match(person.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(person.headers.get('cache-control'), 'no-store');
  });

  it('disables and enables someone, and each change is in the audit log with the admin as actor', async () => {
    const { browser, csrf } = await adminBrowser(server);
    const dan = await server.accounts.create('dan@example.com', PASSWORD);
    const disabled = page(await post(browser, server, `/admin/people/${dan.id}/disable`, { csrf: csrf }));
    assert.match(textOf(disabled), /Disabled/);
    assert.equal((await server.accounts.findById(dan.id))?.disabled, true);
    page(await post(browser, server, `/admin/people/${dan.id}/enable`, { csrf: csrf }));
    assert.equal((await server.accounts.findById(dan.id))?.disabled, false);
    const events = (await auditEvents(server)).filter((e) => e.subject === dan.id && e.type === 'account.changed');
    assert.deepEqual(events.map((e) => [e.reason, e.actor]).reverse(), [
      ['disabled (admin console)', adminId],
      ['enabled (admin console)', adminId],
    ]);
  });

  it('grants and takes the admin role, and removes someone, all on the record', async () => {
    const { browser, csrf } = await adminBrowser(server);
    const eve = await server.accounts.create('eve@example.com', PASSWORD);
    page(await post(browser, server, `/admin/people/${eve.id}/grant-admin`, { csrf: csrf }));
    assert.equal((await server.accounts.findById(eve.id))?.admin, true);
    page(await post(browser, server, `/admin/people/${eve.id}/revoke-admin`, { csrf: csrf }));
    assert.equal((await server.accounts.findById(eve.id))?.admin, undefined);
    page(await post(browser, server, `/admin/people/${eve.id}/remove`, { csrf: csrf }));
    assert.equal(await server.accounts.findById(eve.id), undefined);
    const events = (await auditEvents(server)).filter((e) => e.subject === eve.id && e.actor === adminId);
    assert.deepEqual(events.map((e) => `${e.type} ${e.reason}`).reverse(), [
      'account.changed admin role granted (admin console)',
      'account.changed admin role revoked (admin console)',
      'account.removed admin console',
    ]);
  });

  it('makes a one-time password-reset link that sets a new password', async () => {
    const { browser, csrf } = await adminBrowser(server);
    const fay = await server.accounts.create('fay@example.com', PASSWORD);
    const shown = page(await post(browser, server, `/admin/people/${fay.id}/reset-link`, { csrf: csrf }));
    const link = /(http[^<\s]+\/reset\?token=[A-Za-z0-9_-]+)/.exec(shown.body)?.[1];
    assert.ok(link, 'the link is shown');
    const person = new Browser(server);
    const reset = page(await person.navigate(link));
    await person.submit(reset, { password: 'a brand new password' });
    assert.ok(await server.accounts.authenticate('fay@example.com', 'a brand new password'));
    assert.equal(page(await new Browser(server).navigate(link)).status, 404, 'the link works once');
    const types = (await auditEvents(server)).filter((e) => e.subject === fay.id).map((e) => e.type);
    assert.ok(types.includes('account.reset_link') && types.includes('account.password_reset'), types.join(' '));
  });

  it('asks for the password before a change when the sign-in was not a recent password check, and changes nothing until then', async () => {
    const gus = await server.accounts.create('gus@example.com', PASSWORD);
    const browser = await accountBrowser(server, ADMIN);
    const people = page(await browser.navigate(`${server.urls.issuer}/admin/people`));
    const asked = page(await post(browser, server, `/admin/people/${gus.id}/disable`, { csrf: csrfOf(people) }));
    assert.equal(asked.status, 403);
    assert.match(textOf(asked), /need your password again/);
    assert.equal((await server.accounts.findById(gus.id))?.disabled, false, 'nothing changed');

    const wrong = page(await browser.submit(asked, { password: 'not the password', next: '/admin/people' }));
    assert.equal(wrong.status, 401);
    const confirmed = page(await browser.submit(asked, { password: PASSWORD, next: '/admin/people' }));
    assert.equal(confirmed.url.pathname, '/admin/people');
    page(await post(browser, server, `/admin/people/${gus.id}/disable`, { csrf: csrfOf(confirmed) }));
    assert.equal((await server.accounts.findById(gus.id))?.disabled, true);
  });

  it('sends a confirmation only back into the console', async () => {
    const browser = await accountBrowser(server, ADMIN);
    const people = page(await browser.navigate(`${server.urls.issuer}/admin/people`));
    const step = await post(browser, server, '/admin/confirm', { csrf: csrfOf(people), password: PASSWORD, next: '//evil.example/admin' });
    assert.equal(page(step).url.pathname, '/admin');
  });

  it('refuses a change without the CSRF token, with a wrong one, and from another site', async () => {
    const { browser, csrf } = await adminBrowser(server);
    const hal = await server.accounts.create('hal@example.com', PASSWORD);
    const without = page(await post(browser, server, `/admin/people/${hal.id}/disable`, {}));
    assert.equal(without.status, 403);
    const wrong = page(await post(browser, server, `/admin/people/${hal.id}/disable`, { csrf: `${csrf.slice(0, -2)}AA` }));
    assert.equal(wrong.status, 403);
    const crossSite = page(await browser.post(`${server.urls.issuer}/admin/people/${hal.id}/disable`, { csrf: csrf }, { origin: 'https://evil.example' }));
    assert.equal(crossSite.status, 403);
    assert.equal((await server.accounts.findById(hal.id))?.disabled, false);
  });
});
