import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { authorizationUrl } from '../../helpers/authorize.js';
import { launchBrowser } from '../../helpers/browser.js';
import { answerConsent, visitAuthorization, type AuthorizationVisit } from '../../helpers/consent.js';
import { EMAIL, PASSWORD, startAttackServer, type AttackServer } from './fixture.js';

/**
 * Consent is for what was shown (checklist §4 "Consent scope"): a remembered consent covers the client, the
 * scopes and the exact redirect URI, loopback port included. Played in Chromium: one browser profile per person,
 * the client's redirect URIs answered inside the browser so each visit ends where the code (or error) was sent.
 */
const WEB_A = 'https://app.test/cb';
const WEB_B = 'https://other-app.test/cb';
const NATIVE = 'http://127.0.0.1/callback';
const PORT_A = 'http://127.0.0.1:5000/callback';
const PORT_B = 'http://127.0.0.1:5001/callback';

describe('attacks: a remembered consent covers only the redirect URI it was given for', () => {
  let server: AttackServer;
  let browser: Browser;
  let web: string;
  let native: string;
  const credentials = { email: EMAIL, password: PASSWORD };

  before(async () => {
    server = await startAttackServer();
    web = (await server.clients.add({ name: 'Two-destination web app', redirectUris: [WEB_A, WEB_B] })).client_id;
    native = (await server.clients.add({ name: 'Loopback native app', redirectUris: [NATIVE] })).client_id;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A person's browser profile (the clients' redirect URIs never answer: `.test` names do not resolve, ports 5000 and 5001 are closed). */
  const person = (): Promise<BrowserContext> => browser.newContext();

  const url = (clientId: string, redirectUri: string, extraParams: Record<string, string> = {}) =>
    authorizationUrl({ server, clientId, redirectUri, extraParams }).url.href;

  /** The visit ended at this redirect URI with a code, and showed no page of the server on the way (unless it says so). */
  function assertCode(visit: AuthorizationVisit, redirectUri: string, label: string): void {
    assert.equal(`${visit.landed.origin}${visit.landed.pathname}`, redirectUri, `${label}: ended at ${visit.landed.href}`);
    assert.ok(visit.landed.searchParams.get('code'), `${label}: a code (${visit.landed.search})`);
  }
  function assertNoPageShown(visit: AuthorizationVisit, label: string): void {
    const issuer = new URL(server.urls.issuer).origin;
    assert.deepEqual(
      visit.shown.filter((u) => u.origin === issuer).map((u) => u.pathname),
      [],
      `${label}: no page of the server was shown`,
    );
  }
  function assertError(visit: AuthorizationVisit, redirectUri: string, error: string, label: string): void {
    assertNoPageShown(visit, label);
    assert.equal(`${visit.landed.origin}${visit.landed.pathname}`, redirectUri, `${label}: the error goes to the client's redirect URI`);
    assert.equal(visit.landed.searchParams.get('error'), error, `${label}: error (at ${visit.landed.href})`);
    assert.equal(visit.landed.searchParams.get('code'), null, `${label}: no code`);
    assert.equal(visit.landed.searchParams.get('iss'), server.urls.issuer, `${label}: iss`);
  }

  it('approving redirect A, then the same client asking for redirect B shows the consent page naming B', async () => {
    const context = await person();
    const first = await visitAuthorization(context, url(web, WEB_A), credentials);
    assert.ok(first.consent?.includes('sent to app.test'), 'the first approval named A');
    assertCode(first, WEB_A, 'approved for A');

    const second = await visitAuthorization(context, url(web, WEB_B), credentials, { stopAtConsent: true });
    assert.ok(second.consent, `the consent page is shown again for B (the browser went to ${second.landed.href})`);
    assert.ok(second.consent.includes('you will be sent to other-app.test'), `the page names the new destination:\n${second.consent}`);
    assert.equal(second.landed.searchParams.get('code'), null, 'no code for B before the person allows it');
    await answerConsent(second);
    assertCode(second, WEB_B, 'allowed for B');

    // Both destinations are now approved: neither asks again.
    for (const [redirectUri, label] of [
      [WEB_A, 'A again'],
      [WEB_B, 'B again'],
    ] as const) {
      const again = await visitAuthorization(context, url(web, redirectUri), credentials);
      assertCode(again, redirectUri, label);
      assertNoPageShown(again, label);
    }
    await context.close();
  });

  it('approving loopback port 5000 does not cover port 5001 of the same native client: the page names port 5001', async () => {
    const context = await person();
    const first = await visitAuthorization(context, url(native, PORT_A), credentials);
    assert.ok(first.consent?.includes('sent to an app on this computer (port 5000)'), `the first page names port 5000:\n${first.consent}`);
    assertCode(first, PORT_A, 'approved for port 5000');

    const other = await visitAuthorization(context, url(native, PORT_B), credentials, { stopAtConsent: true });
    assert.ok(other.consent, `the consent page is shown for port 5001 (the browser went to ${other.landed.href})`);
    assert.ok(other.consent.includes('you will be sent to an app on this computer (port 5001)'), `the page names port 5001:\n${other.consent}`);
    assert.equal(other.landed.searchParams.get('code'), null, 'no code for port 5001 before the person allows it');

    const same = await visitAuthorization(context, url(native, PORT_A), credentials);
    assertCode(same, PORT_A, 'port 5000 again');
    assertNoPageShown(same, 'port 5000 again');
    await context.close();
  });

  it('prompt=consent shows the consent page even with a remembered consent for that redirect URI', async () => {
    const context = await person();
    assertCode(await visitAuthorization(context, url(web, WEB_A), credentials), WEB_A, 'approved');
    const asked = await visitAuthorization(context, url(web, WEB_A, { prompt: 'consent' }), credentials, { stopAtConsent: true });
    assert.ok(asked.consent, `prompt=consent shows the page (the browser went to ${asked.landed.href})`);
    assert.ok(asked.consent.includes('you will be sent to app.test'));
    const nativeFirst = await visitAuthorization(context, url(native, PORT_A), credentials);
    assertCode(nativeFirst, PORT_A, 'native approved');
    const nativeAsked = await visitAuthorization(context, url(native, PORT_A, { prompt: 'consent' }), credentials, { stopAtConsent: true });
    assert.ok(nativeAsked.consent, `prompt=consent shows the page to a native client too (the browser went to ${nativeAsked.landed.href})`);
    await context.close();
  });

  it('prompt=none never shows a page: login_required without a session, consent_required for an unapproved client or redirect URI', async () => {
    // A client this person approved only for A (earlier tests approved the shared one for B too).
    const app = (await server.clients.add({ name: 'Silent web app', redirectUris: [WEB_A, WEB_B] })).client_id;
    const other = (await server.clients.add({ name: 'Never approved app', redirectUris: [WEB_A] })).client_id;
    const context = await person();
    assertError(await visitAuthorization(context, url(app, WEB_A, { prompt: 'none' }), credentials), WEB_A, 'login_required', 'no session');

    assertCode(await visitAuthorization(context, url(app, WEB_A), credentials), WEB_A, 'signed in and approved A');
    assertError(await visitAuthorization(context, url(other, WEB_A, { prompt: 'none' }), credentials), WEB_A, 'consent_required', 'client never approved');
    assertError(
      await visitAuthorization(context, url(app, WEB_B, { prompt: 'none' }), credentials),
      WEB_B,
      'consent_required',
      'redirect URI B never approved',
    );

    const silent = await visitAuthorization(context, url(app, WEB_A, { prompt: 'none' }), credentials);
    assertNoPageShown(silent, 'approved redirect URI');
    assertCode(silent, WEB_A, 'prompt=none for the approved redirect URI');
    await context.close();
  });
});
