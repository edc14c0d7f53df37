import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
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
  return page.locator('body').innerText();
}

/** Click Allow (or Deny) on the consent page and wait for wherever it leads; screenshot `<name>-after-consent`. */
export async function decide(page: Page, name: string, decision: 'allow' | 'deny' = 'allow'): Promise<void> {
  await page.click(`button[value=${decision}]`);
  await page.waitForLoadState('load');
  await screenshot(page, `${name}-after-consent`);
}
