import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { screenshot } from './browser.js';

/**
 * Open an authorization URL, sign in when asked, and stop on the consent page: returns what the page says,
 * so a test can check it before deciding. Screenshots `<name>-login` and `<name>-consent`.
 */
export async function signInAndReadConsent(page: Page, url: string, credentials: { email: string; password: string }, name: string): Promise<string> {
  await page.goto(url);
  if (await page.locator('input[name=password]').count()) {
    await screenshot(page, `${name}-login`);
    await page.fill('input[name=email]', credentials.email);
    await page.fill('input[name=password]', credentials.password);
    await page.click('button[type=submit]');
    await page.waitForLoadState('load');
  }
  assert.equal(await page.locator('button[value=allow]').count(), 1, `the consent page is shown (at ${page.url()})`);
  await screenshot(page, `${name}-consent`);
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText() is the text as rendered, what the person reads
  return page.locator('body').innerText();
}

/** Click Allow (or Deny) on the consent page and wait for wherever it leads; screenshot `<name>-after-consent`. */
export async function decide(page: Page, name: string, decision: 'allow' | 'deny' = 'allow'): Promise<void> {
  await page.click(`button[value=${decision}]`);
  await page.waitForLoadState('load');
  await screenshot(page, `${name}-after-consent`);
}

/** Where a person's visit to an authorization URL ended, and what they saw on the way. */
export interface AuthorizationVisit {
  page: Page;
  /** The text of the consent page, when one was shown. */
  consent?: string;
  /** Every page the browser showed (committed main-frame navigations), in order. */
  shown: URL[];
  /** Where the browser is now: the client's redirect URI, or a page of the server. */
  landed: URL;
}

/**
 * A person opens an authorization URL in this browser profile: signs in with the password form when asked,
 * reads the consent page when shown and answers it (unless `stopAtConsent`). The client's redirect URI is never
 * contacted (its host does not resolve, or nothing listens on its port): the visit ends on the browser's last
 * navigation, which is where the code or error was sent.
 */
export async function visitAuthorization(
  context: BrowserContext,
  url: string,
  credentials: { email: string; password: string },
  options: { decision?: 'allow' | 'deny'; stopAtConsent?: boolean } = {},
): Promise<AuthorizationVisit> {
  const page = await context.newPage();
  const visit: AuthorizationVisit = { page, shown: [], landed: new URL(url) };
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) visit.shown.push(new URL(frame.url()));
  });
  page.on('request', (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) visit.landed = new URL(request.url());
  });
  await unreachableIsFine(page.goto(url));
  const password = page.locator('form:has(input[name=password])');
  if (await password.count()) {
    await page.fill('input[name=email]', credentials.email);
    await page.fill('input[name=password]', credentials.password);
    await unreachableIsFine(Promise.all([page.waitForNavigation(), password.locator('button[type=submit]').click()]));
  }
  if (await page.locator('button[value=allow]').count()) {
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText() is the text as rendered, what the person reads
    visit.consent = await page.locator('body').innerText();
    if (!options.stopAtConsent) await answerConsent(visit, options.decision ?? 'allow');
  }
  return visit;
}

/** Click Allow (or Deny) on a visit's consent page; the visit then ends where the browser was sent. */
export async function answerConsent(visit: AuthorizationVisit, decision: 'allow' | 'deny' = 'allow'): Promise<void> {
  await unreachableIsFine(Promise.all([visit.page.waitForNavigation(), visit.page.click(`button[value=${decision}]`)]));
}

/** A navigation that ends at a client's redirect URI fails to load it (nothing answers there): that is the end of the visit. */
async function unreachableIsFine(navigation: Promise<unknown>): Promise<void> {
  try {
    await navigation;
  } catch (error) {
    if (!/net::ERR_(NAME_NOT_RESOLVED|CONNECTION_REFUSED|ABORTED)/.test(String(error))) throw error;
  }
}
