import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import type { Browser } from 'playwright-core';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { signInAndReadConsent } from '../helpers/consent.js';
import { connectThroughBrowser } from '../helpers/connect-through-browser.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { CallbackServer, TestOAuthProvider } from '../helpers/oauth-client.js';

const ADA = { email: 'ada@example.com', password: PASSWORD };

/**
 * The whole flow as a person and a real MCP client do it: the official client discovers the server,
 * registers, sends the person to the browser; Chromium signs in and allows; the client redeems the code
 * and calls whoami as that person.
 */
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

  let dcrProvider: TestOAuthProvider;

  it('registers dynamically, signs in, consents, and whoami answers with the person', async () => {
    const provider = new TestOAuthProvider(callback.url);
    dcrProvider = provider;
    const me = await connectThroughBrowser({ server, browser, provider, callback, person: ADA, screenshots: 'dcr' });
    // The client asked only for the tool's scope: the person is known by id, and their email is not shared.
    assert.equal(me['subject'], (await server.accounts.findByEmail('ada@example.com'))?.id);
    assert.equal(me['email'], undefined);
    assert.equal(me['authenticated'], true);
    assert.deepEqual(me['scopes'], ['read:whoami']);
    assert.ok(provider.clientInfo?.client_id, 'registered through DCR');
    assert.ok(provider.storedTokens?.refresh_token, 'a refresh token was issued');
  });

  it('works with a pre-registered client', async () => {
    const record = await server.clients.add({ name: 'Pre-registered app', redirectUris: [callback.url.replace(/:\d+/, '')] });
    const provider = new TestOAuthProvider(callback.url, { clientId: record.client_id });
    const me = await connectThroughBrowser({ server, browser, provider, callback, person: ADA, screenshots: 'preregistered' });
    assert.equal(me['subject'], (await server.accounts.findByEmail('ada@example.com'))?.id);
    assert.equal(me['clientId'], record.client_id);
  });

  it('remembers consent: a second authorization of the same client skips the consent page, unless it sends prompt=consent', async () => {
    const provider = new TestOAuthProvider(callback.url, { clientId: dcrProvider.clientInfo!.client_id });
    const first = new Client({ name: 'e2e', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(server.urls.resource), { authProvider: provider });
    await assert.rejects(first.connect(transport), UnauthorizedError);
    // The official client adds prompt=consent when it asks for offline_access, and prompt=consent always shows the
    // page; a client that does not ask for it gets the code on the remembered consent.
    const asked = provider.authorizationUrl!;
    assert.equal(asked.searchParams.get('prompt'), 'consent');
    const silent = new URL(asked);
    silent.searchParams.delete('prompt');
    const page = await browser.newPage();
    const redirected = callback.next();
    await page.goto(silent.href);
    if (await page.locator('input[name=password]').count()) {
      await page.fill('input[name=email]', 'ada@example.com');
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
    }
    const params = await redirected;
    assert.ok(params.get('code'), 'a code without a second consent');
    assert.equal(await page.locator('button[value=allow]').count(), 0);
    await page.close();

    const again = await browser.newPage();
    await signInAndReadConsent(again, asked.href, { email: 'ada@example.com', password: PASSWORD }, 'prompt-consent-again');
    await again.close();
  });

  it('refreshes tokens, rotating the refresh token on every use', async () => {
    const before = dcrProvider.storedTokens!;
    const refreshed = await tokenRequest(server, {
      grant_type: 'refresh_token',
      refresh_token: before.refresh_token!,
      client_id: dcrProvider.clientInfo!.client_id,
    });
    assert.equal(refreshed.status, 200);
    const body = await refreshed.json();
    assert.ok(body.access_token);
    assert.notEqual(body.refresh_token, before.refresh_token, 'a new refresh token');
    dcrProvider.saveTokens({ ...body });
    const again = await tokenRequest(server, {
      grant_type: 'refresh_token',
      refresh_token: before.refresh_token!,
      client_id: dcrProvider.clientInfo!.client_id,
    });
    assert.equal(again.status, 400, 'the spent refresh token is refused');
    // Reuse of a spent token revokes the whole grant: the newest refresh token dies with it.
    const newest = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: body.refresh_token, client_id: dcrProvider.clientInfo!.client_id });
    assert.equal(newest.status, 400);
  });

  it('disconnecting an app on the account page makes its next MCP call 401', async () => {
    const provider = new TestOAuthProvider(callback.url);
    await connectThroughBrowser({ server, browser, provider, callback, person: ADA });
    const accessToken = provider.storedTokens!.access_token;
    assert.equal((await mcpCall(server, accessToken)).status, 200);

    const page = await browser.newPage();
    await page.goto(`${server.urls.issuer}/account`);
    await page.fill('input[name=email]', 'ada@example.com');
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
    assert.match(await page.content(), /Pre-registered app/);
    await screenshot(page, 'account');
    const row = page.locator('tr', { hasText: provider.clientInfo!.client_id });
    await Promise.all([page.waitForLoadState('load'), row.locator('button', { hasText: 'Disconnect' }).click()]);
    assert.match(await page.content(), /was disconnected/);
    await page.close();

    const after = await mcpCall(server, accessToken);
    assert.equal(after.status, 401);
    const refresh = await tokenRequest(server, {
      grant_type: 'refresh_token',
      refresh_token: provider.storedTokens!.refresh_token!,
      client_id: provider.clientInfo!.client_id,
    });
    assert.equal(refresh.status, 400, 'its refresh token is gone too');
  });

  it('loses nothing on restart: the old refresh token still works', async () => {
    const provider = new TestOAuthProvider(callback.url);
    await connectThroughBrowser({ server, browser, provider, callback, person: ADA });
    const { port, dataDir } = server;
    await server.close();
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the client notice its pooled connections closed
    server = await startEmbedded({ dataDir, port });
    const refreshed = await tokenRequest(server, {
      grant_type: 'refresh_token',
      refresh_token: provider.storedTokens!.refresh_token!,
      client_id: provider.clientInfo!.client_id,
    });
    assert.equal(refreshed.status, 200, 'grant, client, user and keys all survived');
    const { access_token } = await refreshed.json();
    assert.equal((await mcpCall(server, access_token)).status, 200);
    assert.equal((await mcpCall(server, provider.storedTokens!.access_token)).status, 200, 'tokens signed before the restart stay valid');
  });
});

describe('first-user setup in the browser', () => {
  it('creates the first account from the one-time link, then the link is dead', async () => {
    const server = await startEmbedded();
    const browser = await launchBrowser();
    try {
      const link = server.notices.map((n) => /(http\S+\/setup\?token=\S+)/.exec(n)?.[1]).find(Boolean)!;
      assert.ok(link, 'a setup link is printed');
      const page = await browser.newPage();
      await page.goto(link);
      await screenshot(page, 'setup');
      await page.fill('input[name=email]', 'first@example.com');
      await page.fill('input[name=password]', PASSWORD);
      await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
      assert.match(await page.content(), /Signed in as <strong>first@example\.com<\/strong>/);
      assert.equal((await fetch(link)).status, 404, 'the link works once');
      assert.equal((await server.accounts.list()).length, 1);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});

function tokenRequest(server: EmbeddedTestServer, params: Record<string, string>) {
  return fetch(`${server.urls.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
}

function mcpCall(server: EmbeddedTestServer, token: string) {
  return fetch(server.urls.resource, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
  });
}
