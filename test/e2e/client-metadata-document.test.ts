import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { decide, signInAndReadConsent } from '../helpers/consent.js';
import { PASSWORD } from '../helpers/embedded-server.js';
import { addUser, startGatehouse, type GatehouseProcess } from '../helpers/gatehouse-process.js';
import { HttpsFixture } from '../helpers/https-fixture.js';
import { CallbackServer, TestOAuthProvider } from '../helpers/oauth-client.js';
import { within } from '../helpers/process.js';

/**
 * Client ID Metadata Documents with the server a user runs (`gatehouse serve`, a child process) and the
 * official MCP client: the client's id is an https URL, the authorization server fetches the document
 * there, and a person signs in and allows in Chromium.
 *
 * The documents live on a local HTTPS fixture with a self-signed certificate. The server trusts it
 * through NODE_EXTRA_CA_CERTS, so the only thing between it and the fixture is the address check that
 * `--dangerously-allow-loopback-client-metadata` lifts: one server runs with the option, one without.
 */

const EMAIL = 'ada@example.com';
const CLIENT_PATH = '/client.json';

interface Started {
  transport: StreamableHTTPClientTransport;
  authorizationUrl: URL;
}

/** The official client tries to connect, is told to authorize, and hands over the authorization URL. */
async function startAuthorization(server: GatehouseProcess, provider: TestOAuthProvider): Promise<Started> {
  const client = new Client({ name: 'cimd-e2e', version: '1' });
  const transport = new StreamableHTTPClientTransport(new URL(server.urls.resource), { authProvider: provider });
  await assert.rejects(client.connect(transport), UnauthorizedError);
  assert.ok(provider.authorizationUrl, 'the client was sent to authorize');
  assert.equal(provider.authorizationUrl.searchParams.get('client_id'), provider.clientMetadataUrl, 'the metadata document URL is the client_id');
  return { transport, authorizationUrl: provider.authorizationUrl };
}

async function whoami(server: GatehouseProcess, provider: TestOAuthProvider): Promise<Record<string, unknown>> {
  const client = new Client({ name: 'cimd-e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.urls.resource), { authProvider: provider }));
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  await client.close();
  return result.structuredContent as Record<string, unknown>;
}

/** Open an authorization URL the server must refuse; return the text of the page it shows instead. */
async function refusedPage(browser: Browser, authorizationUrl: URL, issuer: string, name: string): Promise<string> {
  const page = await browser.newPage();
  try {
    const response = await page.goto(authorizationUrl.href);
    await screenshot(page, name);
    assert.equal(response?.status(), 400, 'an error page, not a redirect');
    assert.equal(new URL(page.url()).origin, new URL(issuer).origin, 'the browser stays on the authorization server');
    assert.equal(await page.locator('input[name=password]').count(), 0, 'no sign-in is offered');
    assert.equal(await page.locator('button[value=allow]').count(), 0, 'no consent is offered');
    assert.equal(await page.locator('a[href^="javascript:" i]').count(), 0, 'nothing from the request became a link');
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText() is the text as rendered, what the person reads
    return await page.locator('body').innerText();
  } finally {
    await page.close();
  }
}

describe('Client ID Metadata Documents (gatehouse serve, official client, Chromium)', () => {
  let fixture: HttpsFixture;
  let callback: CallbackServer;
  let browser: Browser;
  /** One person's browser profile: the session and consent from the first flow carry over to the second. */
  let person: BrowserContext;
  /** Runs with --dangerously-allow-loopback-client-metadata. */
  let loopbackAllowed: GatehouseProcess;
  /** Runs with the default SSRF guard. */
  let guarded: GatehouseProcess;
  let clientId: string;

  const document = (id: string, extra: Record<string, unknown> = {}) => ({
    client_id: id,
    client_name: 'Metadata Document App',
    redirect_uris: [callback.url],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    ...extra,
  });

  before(async () => {
    fixture = await HttpsFixture.start();
    callback = await CallbackServer.start();
    clientId = fixture.serve(CLIENT_PATH, document(fixture.url(CLIENT_PATH)), { 'cache-control': 'max-age=60' });

    const env = { NODE_EXTRA_CA_CERTS: fixture.certPath };
    const start = async (args: string[]) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cimd-'));
      await addUser(dataDir, EMAIL, PASSWORD);
      return startGatehouse({ dataDir, args, env });
    };
    [loopbackAllowed, guarded] = await Promise.all([start(['--dangerously-allow-loopback-client-metadata']), start([])]);
    browser = await launchBrowser();
    person = await browser.newContext();
  });

  after(async () => {
    await browser?.close();
    await Promise.all([loopbackAllowed?.stop(), guarded?.stop()]);
    await callback?.close();
    await fixture?.close();
  });

  it('advertises metadata document support, and the dangerous option says so loudly', async () => {
    for (const server of [loopbackAllowed, guarded]) {
      const metadata = (await (await fetch(`${server.urls.issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
      assert.equal(metadata['client_id_metadata_document_supported'], true);
    }
    assert.match(loopbackAllowed.process.text(), /DANGER: client metadata documents may be fetched from loopback/);
    assert.doesNotMatch(guarded.process.text(), /DANGER/);
  });

  it("registers through the document: the consent page names the document's host and the destination, warns about localhost, and whoami answers", async () => {
    const provider = new TestOAuthProvider(callback.url, { clientMetadataUrl: clientId });
    const { transport, authorizationUrl } = await startAuthorization(loopbackAllowed, provider);
    assert.equal(fixture.hitsOf(CLIENT_PATH), 0, 'the client does not fetch its own document');

    const page = await person.newPage();
    const redirected = callback.next();
    const consent = await signInAndReadConsent(page, authorizationUrl.href, { email: EMAIL, password: PASSWORD }, 'cimd');
    const destination = `an app on this computer (port ${new URL(callback.url).port})`;
    assert.ok(
      consent.includes(`Allow Metadata Document App (from ${new URL(clientId).host}) to access your account?`),
      `the name comes with the document's host:\n${consent}`,
    );
    assert.ok(consent.includes(`you will be sent to ${destination}`), `the destination is named:\n${consent}`);
    assert.ok(consent.includes(`identified itself at ${clientId}`), 'the document URL is shown');
    assert.match(consent, /only redirects to this computer/, 'the localhost-only warning is shown');
    await decide(page, 'cimd');
    const params = await within(redirected, 15_000, 'the browser returns to the client with a code');
    await page.close();

    assert.equal(params.get('iss'), loopbackAllowed.urls.issuer);
    assert.ok(params.get('code'), 'an authorization code was issued');
    await transport.finishAuth(params);
    const me = await whoami(loopbackAllowed, provider);
    // Only the tool's scope was asked for: the person is known by id, and their email is not shared.
    assert.equal(typeof me['subject'], 'string');
    assert.equal(me['email'], undefined);
    assert.equal(me['authenticated'], true);
    assert.equal(me['clientId'], clientId, 'tokens name the metadata document URL as the client');
    assert.deepEqual(me['scopes'], ['read:whoami']);
    assert.equal(fixture.hitsOf(CLIENT_PATH), 1, 'one fetch served the whole flow (authorize, pages, token)');
  });

  it('keeps the document for its max-age: a second authorization does not fetch it again', async () => {
    assert.equal(fixture.hitsOf(CLIENT_PATH), 1);
    const provider = new TestOAuthProvider(callback.url, { clientMetadataUrl: clientId });
    const { transport, authorizationUrl } = await startAuthorization(loopbackAllowed, provider);
    const page = await person.newPage();
    const redirected = callback.next();
    // Same browser: the session and the remembered consent carry the person straight back to the app. The official
    // client sends prompt=consent with offline_access, which always shows the page: this visit leaves it out.
    const silent = new URL(authorizationUrl);
    silent.searchParams.delete('prompt');
    await page.goto(silent.href);
    const params = await within(redirected, 15_000, 'the browser returns to the client without stopping');
    await screenshot(page, 'cimd-second-authorization');
    assert.equal(new URL(page.url()).host, new URL(callback.url).host, 'no login or consent page this time');
    await page.close();
    await transport.finishAuth(params);
    assert.equal((await whoami(loopbackAllowed, provider))['authenticated'], true);
    assert.equal(fixture.hitsOf(CLIENT_PATH), 1, 'served from the cache (Cache-Control: max-age=60)');
  });

  it('without --dangerously-allow-loopback-client-metadata refuses the loopback document and issues no code', async () => {
    const hitsBefore = fixture.hitsOf(CLIENT_PATH);
    const connectionsBefore = fixture.connections;
    const provider = new TestOAuthProvider(callback.url, { clientMetadataUrl: clientId });
    const { authorizationUrl } = await startAuthorization(guarded, provider);
    const text = await refusedPage(browser, authorizationUrl, guarded.urls.issuer, 'cimd-refused-loopback');
    assert.match(text, /invalid_client/);
    assert.match(text, /metadata document fetch/);
    // The guard checks the address `localhost` resolves to before opening a socket: not even a TCP handshake.
    assert.equal(fixture.connections, connectionsBefore, 'no connection reached the loopback host');
    assert.equal(fixture.hitsOf(CLIENT_PATH), hitsBefore, 'and no HTTP request');
  });

  it('refuses a document whose client_id is not the URL it was fetched from', async () => {
    const url = fixture.serve('/impostor.json', document(fixture.url(CLIENT_PATH), { client_name: 'Impostor' }), { 'cache-control': 'max-age=60' });
    const provider = new TestOAuthProvider(callback.url, { clientMetadataUrl: url });
    const { authorizationUrl } = await startAuthorization(loopbackAllowed, provider);
    const text = await refusedPage(browser, authorizationUrl, loopbackAllowed.urls.issuer, 'cimd-refused-client-id-mismatch');
    assert.ok(fixture.hitsOf('/impostor.json') >= 1, 'the document was fetched and read');
    assert.match(text, /invalid_client_metadata/);
    assert.match(text, /client_id does not match/);
    assert.doesNotMatch(text, /Impostor/, 'nothing from the refused document is shown');
  });

  it('refuses a document that lists a javascript: redirect URI next to a valid one', async () => {
    const path = '/javascript.json';
    const url = fixture.serve(path, document(fixture.url(path), { redirect_uris: [callback.url, 'javascript:alert(document.domain)//'] }), {
      'cache-control': 'max-age=60',
    });
    const provider = new TestOAuthProvider(callback.url, { clientMetadataUrl: url });
    const { authorizationUrl } = await startAuthorization(loopbackAllowed, provider);
    const text = await refusedPage(browser, authorizationUrl, loopbackAllowed.urls.issuer, 'cimd-refused-javascript-redirect');
    assert.ok(fixture.hitsOf(path) >= 1, 'the document was fetched and read');
    assert.match(text, /invalid_(redirect_uri|client_metadata)/);
    assert.match(text, /javascript: scheme is not allowed/);
  });
});
