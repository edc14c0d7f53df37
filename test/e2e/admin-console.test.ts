import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { callMcp, obtainTokens } from '../helpers/authorize.js';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';

const ADMIN = 'admin@example.com';
const ADA = 'ada@example.com';

async function signIn(page: Page, email: string): Promise<void> {
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForLoadState('load'), page.click('form:has(input[name=password]) button[type=submit]')]);
}

/** The admin console as people use it: an admin in Chromium, a non-admin, and a hostile site. */
describe('the admin console in Chromium', () => {
  let server: EmbeddedTestServer;
  let browser: Browser;
  let hostile: Server;
  let hostilePage = '';
  let hostileOrigin: string;
  let adaId: string;

  before(async () => {
    server = await startEmbedded();
    await server.accounts.create(ADMIN, PASSWORD, { admin: true });
    adaId = (await server.accounts.create(ADA, PASSWORD)).id;
    browser = await launchBrowser();
    hostile = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(hostilePage));
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    hostileOrigin = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => hostile?.close(resolve));
    await server?.close();
  });

  it('an admin revokes a person’s app from the console, and the app’s next MCP call gets 401', async () => {
    const client = await server.clients.add({ name: 'Notes Desktop', redirectUris: ['http://127.0.0.1/cb'] });
    const tokens = await obtainTokens({ server, clientId: client.client_id, redirectUri: 'http://127.0.0.1/cb', email: ADA, password: PASSWORD });
    assert.equal((await callMcp(server, tokens.accessToken)).status, 200, 'the app works before');

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.urls.issuer}/admin`);
    await signIn(page, ADMIN);
    assert.equal(await page.locator('svg.chart').count(), 2, 'the front page charts');
    await screenshot(page, 'admin-overview');
    await page.click('nav >> text=People');
    await Promise.all([page.waitForLoadState('load'), page.click(`text=${ADA}`)]);
    const row = page.locator('tr', { hasText: 'Notes Desktop' });
    assert.match((await row.textContent()) ?? '', /read:whoami/);
    await screenshot(page, 'admin-person');
    await Promise.all([page.waitForLoadState('load'), row.locator('button', { hasText: 'Revoke' }).click()]);
    assert.match((await page.locator('[role=status]').textContent()) ?? '', /next call gets 401/);
    assert.equal(await page.locator('tr', { hasText: 'Notes Desktop' }).count(), 0);

    const after = await callMcp(server, tokens.accessToken);
    assert.equal(after.status, 401, 'revoked from the console: the next call is refused');
    await context.close();
  });

  it('a non-admin gets 403 on the console', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.urls.issuer}/account`);
    await signIn(page, ADA);
    for (const path of ['/admin', '/admin/people', '/admin/clients', '/admin/activity', '/admin/keys']) {
      const response = await page.goto(`${server.urls.issuer}${path}`);
      assert.equal(response?.status(), 403, path);
    }
    await screenshot(page, 'admin-not-admin');
    await context.close();
  });

  it('a hostile site posting a console form in the admin’s browser is refused, even with a valid token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.urls.issuer}/admin`);
    await signIn(page, ADMIN);
    await page.goto(`${server.urls.issuer}/admin/people/${adaId}`);
    const token = await page.locator('input[name=csrf]').first().inputValue();
    hostilePage = `<!doctype html><form method="post" action="${server.urls.issuer}/admin/people/${adaId}/disable">
<input name="csrf" value="${token}"></form><script>document.forms[0].submit()</script>`;
    const answer = page.waitForResponse(`${server.urls.issuer}/admin/people/${adaId}/disable`);
    await page.goto(`${hostileOrigin}/`);
    assert.equal((await answer).status(), 403);
    assert.equal((await server.accounts.findById(adaId))?.disabled, false, 'nothing changed');
    await context.close();
  });
});
