import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createResetLink } from '../../src/authserver/flows/password-reset.js';
import { authorizationUrl } from '../helpers/authorize.js';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { startGitHubFederated, type FederatedTestServer } from '../helpers/federated.js';
import { CallbackServer } from '../helpers/oauth-client.js';
import { axeViolations, firstFocusProblems, structureProblems, tabsTo, textContrast } from '../helpers/page-audit.js';

const ADMIN = 'admin@example.com';
const ADA = 'ada@example.com';
const APP_REDIRECT = 'https://notes.example/callback';
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="30" fill="#f2c200"/></svg>';
// A light brand colour: white text on it would be unreadable, so the pages must pick dark text for it.
const BRAND = {
  name: 'Acme Labs',
  logo: `data:image/svg+xml;base64,${Buffer.from(SVG).toString('base64')}`,
  color: '#ffd23f',
  supportUrl: 'mailto:help@acme.example',
};
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;
const TEST = { timeout: 240_000 };

/**
 * Every built-in page, as a person with a keyboard, a screen reader or a phone meets it: axe-core's WCAG 2.1
 * A/AA rules (serious and critical), headings, labels, where focus starts, sideways scrolling, tap targets.
 * Each page's screenshot goes to the test output folder, for a person to look at.
 */
class PageAudit {
  readonly problems: string[] = [];
  constructor(readonly viewport: keyof typeof VIEWPORTS) {}

  async check(page: Page, name: string): Promise<void> {
    await screenshot(page, `pages-${name}-${this.viewport}`);
    const found = [
      ...(await firstFocusProblems(page)),
      ...(await axeViolations(page)),
      ...(await structureProblems(page, { phone: this.viewport === 'phone' })),
    ];
    for (const problem of found) this.problems.push(`${name} (${this.viewport}): ${problem}`);
  }

  assertNone(): void {
    assert.equal(this.problems.length, 0, `${this.problems.length} problems:\n${this.problems.join('\n')}`);
  }
}

async function signIn(page: Page, email: string): Promise<void> {
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForLoadState('load'), page.click('form:has(input[name=password]) button[type=submit]')]);
}

describe('the built-in pages in Chromium: accessible, readable on a phone, with a light brand colour', () => {
  let browser: Browser;
  let server: EmbeddedTestServer;
  let fresh: EmbeddedTestServer;
  let federated: FederatedTestServer;
  let callback: CallbackServer;
  let notes: string;
  let desk: string;
  let adaId: string;

  before(async () => {
    browser = await launchBrowser();
    callback = await CallbackServer.start();
    server = await startEmbedded({ brand: BRAND });
    await server.accounts.create(ADMIN, PASSWORD, { admin: true });
    adaId = (await server.accounts.create(ADA, PASSWORD)).id;
    notes = (await server.clients.add({ name: 'Notes', redirectUris: [APP_REDIRECT] })).client_id;
    // A desktop app, listening on this computer for its answer.
    desk = (await server.clients.add({ name: 'Desk', redirectUris: [callback.url] })).client_id;
    fresh = await startEmbedded({ brand: BRAND });
    federated = await startGitHubFederated({ brand: BRAND, localLogin: true });
  }, TEST);
  after(async () => {
    await browser?.close();
    await server?.close();
    await fresh?.close();
    await federated?.close();
    await callback?.close();
  }, TEST);

  const open = (viewport: keyof typeof VIEWPORTS): Promise<BrowserContext> => browser.newContext({ viewport: VIEWPORTS[viewport] });

  for (const viewport of Object.keys(VIEWPORTS) as (keyof typeof VIEWPORTS)[]) {
    it(`the sign-in, consent, account, error and landing pages (${viewport})`, TEST, async () => {
      const audit = new PageAudit(viewport);
      const context = await open(viewport);
      const page = await context.newPage();
      try {
        await page.goto(`${server.urls.origin}/`);
        await audit.check(page, 'landing');
        await page.goto(`${server.urls.issuer}/auth?client_id=no-such-client&response_type=code`);
        await audit.check(page, 'error');

        await page.goto(authorizationUrl({ server, clientId: notes, redirectUri: APP_REDIRECT }).url.href);
        await audit.check(page, 'login');
        await signIn(page, ADA);
        assert.equal(await page.locator('button[value=allow]').count(), 1, `the consent page, at ${page.url()}`);
        await audit.check(page, 'consent');

        await page.goto(authorizationUrl({ server, clientId: desk, redirectUri: callback.url, extraParams: { prompt: 'consent' } }).url.href);
        assert.equal(await page.locator('button[value=allow]').count(), 1, `the consent page of a loopback app, at ${page.url()}`);
        await audit.check(page, 'consent-loopback');
        // Allowed, so the account page lists a connected app.
        const answered = callback.next();
        await Promise.all([page.waitForURL((url) => url.href.startsWith(callback.url)), page.click('button[value=allow]')]);
        assert.ok((await answered).get('code'), 'the app got a code');

        // The account pages keep a session of their own: the first visit asks to sign in.
        await page.goto(`${server.urls.issuer}/account`);
        await audit.check(page, 'account-login');
        await signIn(page, ADA);
        assert.ok((await page.content()).includes(ADA), `the account page, at ${page.url()}`);
        await audit.check(page, 'account');
      } finally {
        await context.close();
      }
      audit.assertNone();
    });

    it(`the pages of a link: setup, password reset, and the ones saying a link does not work (${viewport})`, TEST, async () => {
      const audit = new PageAudit(viewport);
      const context = await open(viewport);
      const page = await context.newPage();
      try {
        const setup = fresh.notices.map((n) => /(http\S+\/setup\?token=\S+)/.exec(n)?.[1]).find(Boolean);
        assert.ok(setup, 'a setup link is printed');
        await page.goto(setup);
        await audit.check(page, 'setup');
        await page.goto(`${fresh.urls.issuer}/setup?token=not-the-token`);
        await audit.check(page, 'setup-link-invalid');
        await page.goto(`${server.urls.issuer}/setup?token=not-the-token`);
        await audit.check(page, 'setup-link-used');

        await page.goto(await createResetLink(server.store, adaId, `${server.urls.issuer}/reset`));
        await audit.check(page, 'reset');
        await page.goto(`${server.urls.issuer}/reset?token=not-the-token`);
        await audit.check(page, 'reset-link-invalid');
      } finally {
        await context.close();
      }
      audit.assertNone();
    });

    it(`the upstream choice of a federated server (${viewport})`, TEST, async () => {
      const audit = new PageAudit(viewport);
      const context = await open(viewport);
      const page = await context.newPage();
      try {
        const client = await federated.clients.add({ name: 'Notes', redirectUris: [APP_REDIRECT] });
        await page.goto(authorizationUrl({ server: federated, clientId: client.client_id, redirectUri: APP_REDIRECT }).url.href);
        assert.equal(await page.locator('button[name=source][value=github]').count(), 1, `the upstream choice, at ${page.url()}`);
        await audit.check(page, 'upstream-choice');
      } finally {
        await context.close();
      }
      audit.assertNone();
    });

    it(`the admin console: sign-in and each section (${viewport})`, TEST, async () => {
      const audit = new PageAudit(viewport);
      const context = await open(viewport);
      const page = await context.newPage();
      try {
        await page.goto(`${server.urls.issuer}/admin`);
        await audit.check(page, 'admin-login');
        await signIn(page, ADMIN);
        await audit.check(page, 'admin-overview');
        for (const [name, path] of [
          ['admin-people', '/admin/people'],
          ['admin-person', `/admin/people/${adaId}`],
          ['admin-clients', '/admin/clients'],
          ['admin-activity', '/admin/activity'],
          ['admin-keys', '/admin/keys'],
        ] as const) {
          const response = await page.goto(`${server.urls.issuer}${path}`);
          assert.equal(response?.status(), 200, path);
          await audit.check(page, name);
        }
      } finally {
        await context.close();
      }
      audit.assertNone();
    });
  }

  it('in a dark colour scheme too: the sign-in, consent, account and admin pages pass the same rules', TEST, async () => {
    const audit = new PageAudit('desktop');
    const context = await browser.newContext({ viewport: VIEWPORTS.desktop, colorScheme: 'dark' });
    const page = await context.newPage();
    try {
      await page.goto(authorizationUrl({ server, clientId: notes, redirectUri: APP_REDIRECT, extraParams: { prompt: 'consent' } }).url.href);
      await audit.check(page, 'dark-login');
      await signIn(page, ADA);
      await audit.check(page, 'dark-consent');
      await page.goto(`${server.urls.issuer}/admin`);
      await signIn(page, ADMIN);
      await page.goto(`${server.urls.issuer}/admin/clients`);
      await audit.check(page, 'dark-admin-clients');
      await page.goto(`${server.urls.issuer}/account`);
      await audit.check(page, 'dark-account');
    } finally {
      await context.close();
    }
    audit.assertNone();
  });

  it('the consent page: Allow is reached with Tab and works with Enter, its text readable on the light brand colour', TEST, async () => {
    const context = await open('phone');
    const page = await context.newPage();
    try {
      await page.goto(authorizationUrl({ server, clientId: notes, redirectUri: APP_REDIRECT, extraParams: { prompt: 'consent' } }).url.href);
      await signIn(page, ADA);
      const contrast = await textContrast(page, 'button[value=allow]');
      assert.ok(contrast >= 4.5, `Allow's text on the brand colour: contrast ${contrast.toFixed(2)}, under 4.5`);
      const presses = await tabsTo(page, 'button[value=allow]');
      assert.ok(presses !== undefined, 'Tab reaches Allow');
      const back = page.waitForRequest((request) => request.url().startsWith(APP_REDIRECT));
      await page.keyboard.press('Enter');
      assert.ok(new URL((await back).url()).searchParams.get('code'), 'Enter on Allow sends the browser back to the app with a code');
    } finally {
      await context.close();
    }
  });

  it("the consent page names the app, the host it returns to and each scope's description, most prominently", TEST, async () => {
    const context = await open('desktop');
    const page = await context.newPage();
    try {
      await page.goto(authorizationUrl({ server, clientId: notes, redirectUri: APP_REDIRECT, extraParams: { prompt: 'consent' } }).url.href);
      if (await page.locator('input[name=password]').count()) await signIn(page, ADA);
      const shown = await page.evaluate(() => {
        const scope = document.querySelector('ul.scopes li');
        const measured = [document.querySelector('.destination .host'), document.body, scope?.querySelector('strong'), scope?.querySelector('code')];
        const [hostSize = 0, bodySize = 0, descriptionSize = 0, nameSize = 0] = measured.map((el) =>
          el ? Number.parseFloat(getComputedStyle(el).fontSize) : 0,
        );
        return {
          heading: document.querySelector('h1')?.textContent ?? '',
          host: document.querySelector('.destination .host')?.textContent ?? '',
          description: scope?.querySelector('strong')?.textContent ?? '',
          hostSize,
          bodySize,
          descriptionSize,
          nameSize,
        };
      });
      assert.match(shown.heading, /Notes/, 'the app is the subject of the heading');
      assert.equal(shown.host, 'notes.example', 'the host, and only the host');
      assert.ok(shown.hostSize > shown.bodySize, `the host stands out: ${shown.hostSize}px against ${shown.bodySize}px`);
      assert.match(shown.description, /See who you are/, "the scope's description is its main text");
      assert.ok(shown.descriptionSize > shown.nameSize, `the scope name is secondary: ${shown.nameSize}px against ${shown.descriptionSize}px`);
    } finally {
      await context.close();
    }
  });
});
