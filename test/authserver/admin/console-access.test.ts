import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Browser } from '../../helpers/authorize.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../../helpers/embedded-server.js';
import { accountBrowser, ADMIN, adminBrowser, startWithAdmin, page, textOf } from './console-fixture.js';

/** Every console route: a non-admin gets 403 from each, reading or writing. */
const GETS = ['/admin', '/admin/people', '/admin/people/:id', '/admin/clients', '/admin/activity', '/admin/activity/export?format=csv', '/admin/keys'];
const POSTS = [
  '/admin/confirm',
  '/admin/people/:id/disable',
  '/admin/people/:id/enable',
  '/admin/people/:id/grant-admin',
  '/admin/people/:id/revoke-admin',
  '/admin/people/:id/remove',
  '/admin/people/:id/revoke',
  '/admin/people/:id/reset-link',
  '/admin/clients/add',
  '/admin/clients/remove',
  '/admin/clients/policy',
  '/admin/keys/rotate',
];

describe('the admin console is for admins only', () => {
  let server: EmbeddedTestServer;
  let someone: string;
  before(async () => {
    ({ server } = await startWithAdmin());
    someone = (await server.accounts.create('someone@example.com', PASSWORD)).id;
  });
  after(async () => server?.close());

  it('answers 403 to a signed-in non-admin on every route, GET and POST, and changes nothing', async () => {
    const browser = await accountBrowser(server, 'someone@example.com');
    // The non-admin's own account page carries a token bound to their session: it must not open the console either.
    const account = page(await browser.navigate(`${server.urls.issuer}/account`));
    const theirToken = /name="csrf" value="([^"]+)"/.exec(account.body)?.[1] ?? '';
    for (const path of GETS) {
      const step = page(await browser.navigate(`${server.urls.issuer}${path.replace(':id', someone)}`));
      assert.equal(step.status, 403, `GET ${path}`);
    }
    for (const path of POSTS) {
      const step = page(await browser.post(`${server.urls.issuer}${path.replace(':id', someone)}`, { csrf: theirToken, password: PASSWORD }));
      assert.equal(step.status, 403, `POST ${path}`);
    }
    const after = await server.accounts.findById(someone);
    assert.equal(after?.disabled, false);
    assert.equal(after?.admin, undefined);
  });

  it('shuts out an admin whose role is taken, on their very next request', async () => {
    const { browser } = await adminBrowser(server);
    await server.accounts.setAdmin(ADMIN, false);
    const step = page(await browser.navigate(`${server.urls.issuer}/admin/people`));
    assert.equal(step.status, 403);
    await server.accounts.setAdmin(ADMIN, true);
  });

  it('answers 403 to a POST from a browser with no session', async () => {
    for (const path of POSTS) {
      const step = page(await new Browser(server).post(`${server.urls.issuer}${path.replace(':id', someone)}`, { csrf: 'x' }));
      assert.equal(step.status, 403, `POST ${path}`);
    }
  });

  it('links an admin, and only an admin, from the account page to the console', async () => {
    const admin = page(await (await accountBrowser(server, ADMIN)).navigate(`${server.urls.issuer}/account`));
    assert.match(admin.body, /<a href="\/admin">open the admin console<\/a>/);
    const other = page(await (await accountBrowser(server, 'someone@example.com')).navigate(`${server.urls.issuer}/account`));
    assert.doesNotMatch(textOf(other), /admin console/);
  });
});

describe('the first-run setup link makes an admin', () => {
  let server: EmbeddedTestServer;
  before(async () => {
    server = await startEmbedded();
  });
  after(async () => server?.close());

  it('gives the admin role to whoever completes it', async () => {
    const link = server.notices.map((n) => /(http\S+\/setup\?token=\S+)/.exec(n)?.[1]).find(Boolean)!;
    const browser = new Browser(server);
    await browser.submit(page(await browser.navigate(link)), { email: 'first@example.com', password: PASSWORD });
    assert.equal((await server.accounts.findByEmail('first@example.com'))?.admin, true);
    assert.equal(page(await browser.navigate(`${server.urls.issuer}/admin/people`)).status, 200);
  });
});
