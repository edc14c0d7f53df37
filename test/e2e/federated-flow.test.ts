import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { closeAfterRedirect, launchBrowser, screenshot } from '../helpers/browser.js';
import { freePort } from '../helpers/cli.js';
import { startGitHubFederated, OCTOCAT, type FederatedTestServer } from '../helpers/federated.js';
import { startGatehouse, type GatehouseProcess } from '../helpers/gatehouse-process.js';
import { within } from '../helpers/process.js';
import { CallbackServer, fetchWithin, TestOAuthProvider } from '../helpers/oauth-client.js';
import { startOidcUpstream, UPSTREAM_EMAIL, UPSTREAM_PASSWORD, type OidcUpstream } from '../helpers/oidc-upstream.js';

type Resource = { urls: { resource: string } };

// Every step has a time limit, so a stalled step fails naming itself rather than waiting out the file's timeout.
const STEP_MS = 30_000;
const TEST = { timeout: 120_000 };
const HOOK = { timeout: 90_000 };
/** Steps that have no time limit of their own (Playwright's page reads and closes, the client's token calls). */
const step = <T>(what: string, running: Promise<T>) => within(running, STEP_MS, what);

async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  context.setDefaultTimeout(STEP_MS);
  context.setDefaultNavigationTimeout(STEP_MS);
  return context;
}

const transportFor = (server: Resource, provider: TestOAuthProvider) =>
  new StreamableHTTPClientTransport(new URL(server.urls.resource), { authProvider: provider, fetch: fetchWithin(STEP_MS) });

/** The official client discovers, registers and sends the person to the browser; returns the authorization URL. */
async function startAuthorization(server: Resource, provider: TestOAuthProvider): Promise<StreamableHTTPClientTransport> {
  const transport = transportFor(server, provider);
  await assert.rejects(new Client({ name: 'e2e', version: '1' }).connect(transport), UnauthorizedError);
  assert.ok(provider.authorizationUrl, 'the client was sent to authorize');
  return transport;
}

async function whoami(server: Resource, provider: TestOAuthProvider): Promise<Record<string, unknown>> {
  const client = new Client({ name: 'e2e', version: '1' });
  await client.connect(transportFor(server, provider));
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  await client.close();
  return result.structuredContent as Record<string, unknown>;
}

/** Click a button that submits a form, and wait until the browser has left the page it was on. */
async function click(page: Page, selector: string): Promise<void> {
  const before = page.url();
  await page.click(selector);
  await page.waitForURL((url) => url.href !== before);
}

describe('federated sign-in in a real browser, with the official MCP client', () => {
  let browser: Browser;
  let callback: CallbackServer;
  before(async () => {
    browser = await launchBrowser();
    callback = await CallbackServer.start();
  }, HOOK);
  after(async () => {
    await browser?.close();
    await callback?.close();
  }, HOOK);

  describe('through GitHub', () => {
    let server: FederatedTestServer;
    let context: BrowserContext;
    before(async () => {
      server = await startGitHubFederated();
      context = await newContext(browser);
    }, HOOK);
    after(async () => {
      await context?.close();
      await server?.close();
    }, HOOK);

    it("shows Gatehouse's consent first, signs in at GitHub, and whoami answers with the GitHub identity", TEST, async () => {
      const provider = new TestOAuthProvider(callback.url, { name: 'Browser app one' });
      const transport = await step('start the authorization', startAuthorization(server, provider));
      const page = await step('open a page', context.newPage());
      const redirected = callback.next();
      await page.goto(provider.authorizationUrl!.href);
      assert.match(await step('read the page', page.content()), /Browser app one/);
      assert.ok(
        // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText() is the text as rendered, what the person reads
        (await step('read the page', page.locator('body').innerText())).includes(`sent to an app on this computer (port ${new URL(callback.url).port})`),
        'the page names the destination',
      );
      await step('take a screenshot', screenshot(page, 'federated-github-consent'));
      await click(page, 'button[name=source][value=github]');
      assert.equal(new URL(page.url()).origin, new URL(server.github.url).origin, 'at GitHub');
      await step('take a screenshot', screenshot(page, 'federated-github-authorize'));
      await page.fill('#login', 'octocat');
      await page.click('#authorize');
      const params = await redirected;
      await step('close the page', closeAfterRedirect(page, callback.url));
      assert.equal(params.get('iss'), server.urls.issuer);
      await step('redeem the code', transport.finishAuth(params));
      const me = await step('call whoami', whoami(server, provider));
      assert.deepEqual(me['upstream'], {
        source: 'github',
        subject: String(OCTOCAT.id),
        username: 'octocat',
        email: 'octocat@github.example',
        emailVerified: true,
      });
    });

    it('shows the consent page again for a new app, though GitHub and Gatehouse both remember the person', TEST, async () => {
      const provider = new TestOAuthProvider(callback.url, { name: 'Browser app two' });
      const transport = await step('start the authorization', startAuthorization(server, provider));
      const page = await step('open a page', context.newPage());
      const redirected = callback.next();
      const authorizeRequests = server.github.stats.authorizeRequests;
      await page.goto(provider.authorizationUrl!.href);
      assert.match(await step('read the page', page.content()), /Browser app two/);
      assert.equal(await step('count the buttons', page.locator('button[value=allow]').count()), 1, "Gatehouse's consent page");
      await step('take a screenshot', screenshot(page, 'federated-github-second-app'));
      await page.click('button[value=allow]');
      const params = await redirected;
      await step('close the page', closeAfterRedirect(page, callback.url));
      assert.equal(server.github.stats.authorizeRequests, authorizeRequests, 'no second trip to GitHub');
      await step('redeem the code', transport.finishAuth(params));
      assert.equal((await step('call whoami', whoami(server, provider)))['authenticated'], true);
    });
  });

  describe('through an OpenID provider (gatehouse serve --mode federated --upstream oidc)', () => {
    let upstream: OidcUpstream;
    let server: GatehouseProcess;
    before(async () => {
      const port = await freePort();
      upstream = await startOidcUpstream(`http://localhost:${port}/oauth/callback/oidc`);
      server = await startGatehouse({
        port,
        args: ['--mode', 'federated', '--upstream', 'oidc', '--upstream-issuer', upstream.issuer, '--dangerously-allow-any-upstream-account'],
        env: { GATEHOUSE_UPSTREAM_CLIENT_ID: upstream.clientId, GATEHOUSE_UPSTREAM_CLIENT_SECRET: upstream.clientSecret },
      });
    }, HOOK);
    after(async () => {
      await server?.stop();
      await upstream?.stop();
    }, HOOK);

    it("signs in at the provider's own pages and whoami answers with its identity", TEST, async () => {
      const provider = new TestOAuthProvider(callback.url, { name: 'OIDC browser app' });
      const transport = await step('start the authorization', startAuthorization(server, provider));
      const context = await step('open a context', newContext(browser));
      const page = await step('open a page', context.newPage());
      const redirected = callback.next();
      await page.goto(provider.authorizationUrl!.href);
      assert.match(await step('read the page', page.content()), /OIDC browser app/);
      await click(page, 'button[name=source][value=oidc]');
      assert.equal(new URL(page.url()).origin, new URL(upstream.issuer).origin, "at the provider's sign-in page");
      await page.fill('input[name=email]', UPSTREAM_EMAIL);
      await page.fill('input[name=password]', UPSTREAM_PASSWORD);
      await click(page, 'button[type=submit]');
      await step('take a screenshot', screenshot(page, 'federated-oidc-upstream-consent'));
      await page.click('button[value=allow]');
      const params = await redirected;
      await step('close the page', closeAfterRedirect(page, callback.url));
      await step('close the context', context.close());
      await step('redeem the code', transport.finishAuth(params));
      const me = await step('call whoami', whoami(server, provider));
      const identity = me['upstream'] as Record<string, unknown>;
      assert.equal(identity['source'], 'oidc');
      assert.equal(identity['email'], UPSTREAM_EMAIL);
    });
  });
});
