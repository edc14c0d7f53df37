import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  authorize,
  Browser,
  decodeJwt,
  isConsentPage,
  isLoginPage,
  obtainTokens,
  parseForm,
  redeemCode,
  refresh,
  type PageStep,
  type Step,
} from '../../helpers/authorize.js';
import { gatehouseCommand } from '../../helpers/gatehouse-process.js';
import { EMAIL, newApp, openAuthorization, PASSWORD, startAttackServer, type AttackServer } from './fixture.js';

const OTHER_EMAIL = 'grace@example.com';
const OTHER_PASSWORD = 'another long password';

/** Sign in on the account page in this browser; the account page it lands on. */
async function accountSignIn(server: AttackServer, browser: Browser, email = EMAIL, password = PASSWORD): Promise<PageStep> {
  const page = await browser.navigate(`${server.urls.issuer}/account`);
  assert.ok(page.kind === 'page' && page.form, 'the sign-in page');
  const signedIn = await browser.submit(page, { email, password });
  assert.ok(signedIn.kind === 'page' && signedIn.body.includes('Sign out'), 'signed in on the account page');
  return signedIn;
}

/** Press "Sign out" on the account page. */
async function signOut(browser: Browser, accountPage: PageStep): Promise<void> {
  const form = parseForm(accountPage.body.slice(accountPage.body.lastIndexOf('<form')), accountPage.url);
  assert.ok(form);
  assert.ok(form.action.pathname.endsWith('/logout'));
  const after = await browser.post(form.action, { csrf: form.csrf });
  assert.ok(after.kind === 'page' && !after.body.includes('Sign out'), 'signed out');
}

const isSignedInAccountPage = (step: Step) => step.kind === 'page' && step.body.includes('Sign out');

/** Item 2 (signing out signs out) and the session parts of item 15, against a real server over loopback HTTP. */
describe('attacks: browser sessions end on the server', () => {
  let server: AttackServer;

  before(async () => {
    server = await startAttackServer();
    await server.accounts.create(OTHER_EMAIL, OTHER_PASSWORD);
  });
  after(async () => {
    await server?.close();
  });

  it('a copy of the account cookie taken before sign-out does not work after it (a second browser replays it)', async () => {
    const victim = new Browser(server);
    const accountPage = await accountSignIn(server, victim);
    const stolen = victim.jar.header(new URL(`${server.urls.issuer}/account`))!;
    const thief = new Browser(server);
    assert.ok(
      isSignedInAccountPage(await thief.navigate(`${server.urls.issuer}/account`, { headers: { cookie: stolen } })),
      'the copy works while the session lives',
    );
    await signOut(victim, accountPage);
    const replay = await thief.navigate(`${server.urls.issuer}/account`, { headers: { cookie: stolen } });
    assert.ok(!isSignedInAccountPage(replay), 'the copied cookie no longer opens the account page');
  });

  for (const [change, apply] of [
    ['disabling the person (library call)', (s: AttackServer) => s.accounts.setDisabled(EMAIL, true).then(() => s.accounts.setDisabled(EMAIL, false))],
    ['changing their password (library call)', (s: AttackServer) => s.accounts.setPassword(EMAIL, PASSWORD)],
    [
      'gatehouse users disable (another process)',
      async (s: AttackServer) => {
        await gatehouseCommand(['users', 'disable', EMAIL, '--data-dir', s.dataDir, ...s.storeArgs]);
        await gatehouseCommand(['users', 'enable', EMAIL, '--data-dir', s.dataDir, ...s.storeArgs]);
      },
    ],
  ] as const) {
    it(`${change} ends all their sessions: the account page's and the authorization server's`, async () => {
      const browser = new Browser(server);
      await accountSignIn(server, browser);
      await authorize({ ...(await newApp(server)), browser });
      const again = await newApp(server);
      const before = await openAuthorization(again, browser);
      assert.ok(isConsentPage(before.step), 'while signed in, an authorization skips the sign-in');
      await apply(server);
      assert.ok(!isSignedInAccountPage(await browser.navigate(`${server.urls.issuer}/account`)), 'the account page asks to sign in again');
      const { step } = await openAuthorization(again, browser);
      assert.ok(isLoginPage(step), `the authorization asks to sign in again (got ${step.kind} ${step.status})`);
    });
  }

  it('signing out of the account page disconnects no app: its refresh token still works', async () => {
    const browser = new Browser(server);
    const accountPage = await accountSignIn(server, browser);
    const tokens = await obtainTokens({ ...server.flow, browser });
    await signOut(browser, accountPage);
    const { step } = await openAuthorization(server.flow, browser);
    assert.ok(isLoginPage(step), 'the browser is signed out of the authorization server');
    const refreshed = await refresh(server, { client: { clientId: server.app.clientId }, refreshToken: tokens.refreshToken });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  });

  it('disconnecting the app ends its refresh token', async () => {
    const browser = new Browser(server);
    const accountPage = await accountSignIn(server, browser);
    const app = await newApp(server, 'App to disconnect');
    const tokens = await obtainTokens({ ...app, browser });
    const page = await browser.navigate(accountPage.url);
    assert.ok(page.kind === 'page');
    const form = [
      ...page.body.matchAll(/<form method="post" action="([^"]*\/revoke)">[\s\S]*?name="csrf" value="([^"]*)"[\s\S]*?name="client_id" value="([^"]*)"/g),
    ].find((m) => m[3] === app.clientId);
    assert.ok(form, 'the app is listed with a Disconnect button');
    await browser.post(new URL(form[1]!, page.url), { csrf: form[2]!, client_id: app.clientId });
    const refreshed = await refresh(server, { client: { clientId: app.clientId }, refreshToken: tokens.refreshToken });
    assert.equal(refreshed.status, 400);
    assert.equal(refreshed.body['error'], 'invalid_grant');
  });

  it('prompt=login in a browser signed in as one person, signing in as another: a code for the second, never a 404', async () => {
    const browser = new Browser(server);
    const first = await obtainTokens({ ...server.flow, browser });
    const firstUser = await server.accounts.findByEmail(EMAIL);
    const other = await server.accounts.findByEmail(OTHER_EMAIL);
    const flow = await authorize({ ...server.flow, email: OTHER_EMAIL, password: OTHER_PASSWORD, browser, extraParams: { prompt: 'login' } });
    const code = flow.params.get('code');
    assert.ok(code, `a code: ${flow.location.href}`);
    const redeemed = await redeemCode(server, {
      client: { clientId: server.app.clientId },
      code,
      redirectUri: server.flow.redirectUri,
      codeVerifier: flow.codeVerifier,
    });
    assert.equal(redeemed.status, 200);
    assert.equal(decodeJwt(String(redeemed.body['access_token']))['sub'], other!.id, 'the token is for the person who signed in');
    // The first person's app stays connected: switching the browser's account is not a disconnect.
    const refreshed = await refresh(server, { client: { clientId: server.app.clientId }, refreshToken: first.refreshToken });
    assert.equal(refreshed.status, 200);
    assert.equal(decodeJwt(String(refreshed.body['access_token']))['sub'], firstUser!.id);
  });
});
