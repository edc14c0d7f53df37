import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import type { Browser } from 'playwright-core';
import { launchBrowser, screenshot, signInAndAllow } from '../helpers/browser.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { CallbackServer, TestOAuthProvider } from '../helpers/oauth-client.js';

/**
 * The whole flow as a person and a real MCP client do it: the official client discovers the server,
 * registers, sends the person to the browser; Chromium signs in and allows; the client redeems the code
 * and calls whoami as that person.
 */
async function connectThroughBrowser(server: EmbeddedTestServer, browser: Browser, provider: TestOAuthProvider, callback: CallbackServer, screenshots?: string) {
  const first = new Client({ name: 'e2e', version: '1' });
  const transport = new StreamableHTTPClientTransport(new URL(server.urls.resource), { authProvider: provider });
  await assert.rejects(first.connect(transport), UnauthorizedError);
  assert.ok(provider.authorizationUrl, 'the client was sent to authorize');
  const page = await browser.newPage();
  const redirected = callback.next();
  await signInAndAllow(page, provider.authorizationUrl.href, { email: 'ada@example.com', password: PASSWORD }, { screenshots });
  const params = await redirected;
  await page.close();
  assert.equal(params.get('iss'), server.urls.issuer, 'RFC 9207 iss on the authorization response');
  await transport.finishAuth(params);

  const client = new Client({ name: 'e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.urls.resource), { authProvider: provider }));
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  await client.close();
  return result.structuredContent as Record<string, unknown>;
}

describe('embedded authorization server, end to end', () => {
  let server: EmbeddedTestServer;
  let browser: Browser;
  let callback: CallbackServer;

  before(async () => {
    server = await startEmbedded();
    await server.accounts.create('ada@example.com', PASSWORD);
    browser = await launchBrowser();
    callback = await CallbackServer.start();
  });
  after(async () => {
    await browser?.close();
    await callback?.close();
    await server?.close();
  });

  it('registers dynamically, signs in, consents, and whoami answers with the person', async () => {
    const provider = new TestOAuthProvider(callback.url);
    const me = await connectThroughBrowser(server, browser, provider, callback, 'dcr');
    assert.equal(me['email'], 'ada@example.com');
    assert.equal(me['authenticated'], true);
    assert.deepEqual(me['scopes'], ['read:whoami']);
    assert.ok(provider.clientInfo?.client_id, 'registered through DCR');
    assert.ok(provider.storedTokens?.refresh_token, 'a refresh token was issued');
  });

  it('works with a pre-registered client', async () => {
    const record = await server.clients.add({ name: 'Pre-registered app', redirectUris: [callback.url.replace(/:\d+/, '')] });
    const provider = new TestOAuthProvider(callback.url, { clientId: record.client_id });
    const me = await connectThroughBrowser(server, browser, provider, callback, 'preregistered');
    assert.equal(me['email'], 'ada@example.com');
    assert.equal(me['clientId'], record.client_id);
  });

  it('shows the account page with the connected apps', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.urls.issuer}/account`);
    await page.fill('input[name=email]', 'ada@example.com');
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
    assert.match(await page.content(), /Pre-registered app/);
    await screenshot(page, 'account');
    await page.close();
  });
});
