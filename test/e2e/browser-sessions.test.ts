import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { authorizationUrl, decodeJwt, redeemCode } from '../helpers/authorize.js';
import { EMAIL, PASSWORD, startAttackServer, type AttackServer } from '../authserver/attacks/fixture.js';

const OTHER_EMAIL = 'grace@example.com';
const OTHER_PASSWORD = 'another long password';

function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext();
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function fillSignIn(page: Page, email: string, password: string): Promise<void> {
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForLoadState('load'), page.click('form:has(input[name=password]) button[type=submit]')]);
}

/** Items 2, 3 and 15 as a person's Chromium sees them: sign-out, a copied cookie, a hostile site, switching accounts. */
describe('browser sessions in Chromium', () => {
  let server: AttackServer;
  let browser: Browser;
  let hostile: Server;
  let hostileOrigin: string;
  /** The app the codes are sent to: a loopback page (the code is read from its URL). */
  let app: Server;
  let appRedirect: string;
  let flow: AttackServer['flow'];
  /** The page the hostile site serves next. */
  let hostilePage = '';

  before(async () => {
    server = await startAttackServer();
    await server.accounts.create(OTHER_EMAIL, OTHER_PASSWORD);
    browser = await launchBrowser();
    hostile = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(hostilePage));
    // Another origin and another site than the server's `localhost`.
    hostileOrigin = await listen(hostile);
    app = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('app'));
    appRedirect = `${await listen(app)}/cb`;
    const client = await server.clients.add({ name: 'Loopback app', redirectUris: [appRedirect] });
    flow = { ...server.flow, clientId: client.client_id, redirectUri: appRedirect };
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => hostile?.close(resolve));
    await new Promise((resolve) => app?.close(resolve));
    await server?.close();
  });

  it('signing out on the account page ends the authorization server session: the next authorization shows the sign-in page', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${server.urls.issuer}/account`);
    await fillSignIn(page, EMAIL, PASSWORD);
    assert.equal(await page.locator('text=Sign out').count(), 1, 'signed in on the account page');
    await page.goto(authorizationUrl(flow).url.href);
    await fillSignIn(page, EMAIL, PASSWORD);
    await Promise.all([page.waitForURL(`${appRedirect}?**`), page.click('button[value=allow]')]);
    // Signed in here, a second authorization goes straight through.
    await page.goto(authorizationUrl(flow).url.href);
    assert.ok(page.url().startsWith(appRedirect), `while signed in, no sign-in page: ${page.url()}`);

    await page.goto(`${server.urls.issuer}/account`);
    await Promise.all([page.waitForLoadState('load'), page.click('text=Sign out')]);
    assert.equal(await page.locator('text=Sign out').count(), 0, 'the account page is signed out');
    await page.goto(authorizationUrl(flow).url.href);
    await screenshot(page, 'sessions-after-sign-out');
    assert.ok(page.url().startsWith(server.urls.issuer), `no code without signing in again: ${page.url()}`);
    assert.equal(await page.locator('input[name=password]').count(), 1, 'the sign-in page');
    await context.close();
  });

  it('a copy of the account cookie, replayed from a second browser context after sign-out, opens nothing', async () => {
    const victim = await newContext(browser);
    const page = await victim.newPage();
    await page.goto(`${server.urls.issuer}/account`);
    await fillSignIn(page, EMAIL, PASSWORD);
    const stolen = await victim.cookies();
    const thief = await newContext(browser);
    await thief.addCookies(stolen);
    const thiefPage = await thief.newPage();
    await thiefPage.goto(`${server.urls.issuer}/account`);
    assert.equal(await thiefPage.locator('text=Sign out').count(), 1, 'the copy works while the session lives');
    await Promise.all([page.waitForLoadState('load'), page.click('text=Sign out')]);
    await thiefPage.reload();
    assert.equal(await thiefPage.locator('text=Sign out').count(), 0, 'after sign-out, the copy opens nothing');
    await victim.close();
    await thief.close();
  });

  it("a hostile site auto-posting the account sign-in form (with the attacker's token, Origin: null) does not sign the victim in", async () => {
    // The attacker loads the sign-in page in their own browser and copies its token.
    const attacker = await newContext(browser);
    const attackerPage = await attacker.newPage();
    await attackerPage.goto(`${server.urls.issuer}/account`);
    const token = await attackerPage.locator('input[name=csrf]').first().inputValue();
    await attacker.close();

    // no-referrer makes the victim's browser send `Origin: null`, which the server used to let through.
    hostilePage = `<!doctype html><meta name="referrer" content="no-referrer"><form method="post" action="${server.urls.issuer}/account/login">
<input name="csrf" value="${token}"><input name="email" value="${OTHER_EMAIL}"><input name="password" value="${OTHER_PASSWORD}"></form>
<script>document.forms[0].submit()</script>`;
    const victim = await newContext(browser);
    const page = await victim.newPage();
    await page.goto(`${server.urls.issuer}/account`); // the victim has visited the server before
    const answer = page.waitForResponse(`${server.urls.issuer}/account/login`);
    await page.goto(`${hostileOrigin}/`);
    assert.equal((await answer).status(), 403, 'the forged sign-in is refused');
    await page.goto(`${server.urls.issuer}/account`);
    assert.equal(await page.locator('text=Sign out').count(), 0, 'the victim is not signed in to the attacker account');
    await victim.close();
  });

  it('a browser signed in as one person: "Use another account" on the consent page, sign in as another, the code is for the other', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(authorizationUrl(flow).url.href);
    await fillSignIn(page, EMAIL, PASSWORD);
    if (await page.locator('button[value=allow]').count()) await Promise.all([page.waitForURL(`${appRedirect}?**`), page.click('button[value=allow]')]);
    assert.ok(page.url().startsWith(appRedirect), 'signed in as the first person');

    // A new app, so the signed-in browser sees a consent page.
    const fresh = await server.clients.add({ name: 'Second app', redirectUris: [appRedirect] });
    const second = authorizationUrl({ ...flow, clientId: fresh.client_id });
    await page.goto(second.url.href);
    assert.equal(await page.locator(`text=${EMAIL}`).count(), 1, 'the consent page names the signed-in person');
    await Promise.all([page.waitForLoadState('load'), page.click('text=Use another account')]);
    await fillSignIn(page, OTHER_EMAIL, OTHER_PASSWORD);
    await screenshot(page, 'sessions-switched-consent');
    assert.equal(await page.locator(`text=${OTHER_EMAIL}`).count(), 1, `the consent page names the other person (at ${page.url()})`);
    await Promise.all([page.waitForURL(`${appRedirect}?**`), page.click('button[value=allow]')]);
    const code = new URL(page.url()).searchParams.get('code');
    assert.ok(code, `a code, not an error page: ${page.url()}`);
    const redeemed = await redeemCode(server, { client: { clientId: fresh.client_id }, code, redirectUri: appRedirect, codeVerifier: second.codeVerifier });
    assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
    assert.equal(decodeJwt(String(redeemed.body['access_token']))['sub'], (await server.accounts.findByEmail(OTHER_EMAIL))!.id);
    await context.close();
  });
});
