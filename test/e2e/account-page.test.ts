import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { AuditLog } from '../../src/audit/audit-log.js';
import { nativeClientMetadata, registerClient } from '../helpers/authorize.js';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { captureLogger } from '../helpers/server.js';

const EMAIL = 'ada@example.com';

/** Per date cell of the page's tables: its text and how many lines its content takes at its line height. */
function dateCellLines(page: Page) {
  return page.evaluate(() => {
    const cells: { text: string; lines: number }[] = [];
    for (const table of Array.from(document.querySelectorAll('table'))) {
      const headings = Array.from(table.querySelectorAll('thead th')).map((th) => th.textContent?.trim());
      const column = headings.findIndex((heading) => heading === 'When' || heading === 'Last used');
      if (column < 0) continue;
      for (const row of Array.from(table.querySelectorAll('tbody tr'))) {
        const cell = row.children[column] as HTMLElement;
        const style = getComputedStyle(cell);
        const content = cell.getBoundingClientRect().height - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
        cells.push({ text: cell.textContent ?? '', lines: Math.round(content / parseFloat(style.lineHeight)) });
      }
    }
    return cells;
  });
}

describe('the account page in Chromium at desktop width', () => {
  let server: EmbeddedTestServer;
  let browser: Browser;
  let page: Page;
  let namedClient: string;
  const unknownClient = 'client-that-was-removed';

  before(async () => {
    server = await startEmbedded();
    const user = await server.accounts.create(EMAIL, PASSWORD);
    const registered = await registerClient(server, nativeClientMetadata('http://127.0.0.1/cb', { client_name: 'Notes Desktop' }));
    assert.equal(registered.status, 201);
    namedClient = String(registered.body['client_id']);
    const audit = new AuditLog(server.store, captureLogger().logger);
    await audit.record({ type: 'token.issued', subject: user.id, clientId: namedClient });
    await audit.record({ type: 'token.refreshed', subject: user.id, clientId: unknownClient });

    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${server.urls.issuer}/account`);
    await page.fill('input[name=email]', EMAIL);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
    await screenshot(page, 'account-page');
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('says how to connect an app: the MCP URL, and the command for clients that need a client ID', async () => {
    const section = await page.locator('h2:has-text("Connect an app") ~ p').allTextContents();
    const text = section.join(' ');
    assert.ok(text.includes(server.urls.resource), text);
    assert.match(text, /gatehouse clients add --preset <client>/);
  });

  it('names the apps in the activity by their registered name, and an app without one by its id', async () => {
    const apps = await page.locator('table:has(th:text-is("When")) tbody tr td:nth-child(3)').allTextContents();
    assert.ok(apps.includes('Notes Desktop'), `apps: ${apps.join(' | ')}`);
    assert.ok(!apps.includes(namedClient), 'not the raw client id');
    assert.ok(apps.includes(unknownClient), 'an app the server no longer knows keeps its id');
  });

  it('keeps every date on one line', async () => {
    const cells = await dateCellLines(page);
    assert.ok(cells.length >= 3, `date cells: ${JSON.stringify(cells)}`);
    for (const cell of cells) assert.equal(cell.lines, 1, `"${cell.text}" takes ${cell.lines} lines`);
  });
});
