import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const SCREENSHOT_DIR = fileURLToPath(new URL('../e2e/output/', import.meta.url));
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Debian's Chromium, headless, with the flags this sandboxed machine needs (no background network, no sandbox as root). */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** What a person does: open the authorization link, sign in, read the consent page and click Allow. */
export async function signInAndAllow(
  page: Page,
  authorizationUrl: string,
  credentials: { email: string; password: string },
  options: { screenshots?: string; decision?: 'allow' | 'deny' } = {},
): Promise<void> {
  await page.goto(authorizationUrl);
  if (await page.locator('input[name=password]').count()) {
    if (options.screenshots) await screenshot(page, `${options.screenshots}-login`);
    await page.fill('input[name=email]', credentials.email);
    await page.fill('input[name=password]', credentials.password);
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
  }
  if (await page.locator('button[value=allow]').count()) {
    if (options.screenshots) await screenshot(page, `${options.screenshots}-consent`);
    await page.click(`button[value=${options.decision ?? 'allow'}]`);
  }
}

/**
 * Close a page once it has finished loading the app's callback. The callback server seeing the request comes
 * before the page has its answer; a close in between raced that navigation and, on a loaded machine, stalled.
 */
export async function closeAfterRedirect(page: Page, callbackUrl: string): Promise<void> {
  await page.waitForURL((url) => url.href.startsWith(callbackUrl), { waitUntil: 'load' });
  await page.close();
}
