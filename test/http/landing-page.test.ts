import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { rawRequest, useJwtServer } from '../helpers/server.js';

/** What Chromium sends when a person types the address. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

const openRoot = (origin: string, accept = BROWSER_ACCEPT) => fetch(new URL('/', origin), { headers: { accept } });

function assertPageHeaders(response: Response): void {
  assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(response.headers.get('content-security-policy') ?? '', /(^|;)\s*frame-ancestors 'none'\s*(;|$)/);
  assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  assert.equal(response.headers.get('x-frame-options'), 'DENY');
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.equal(response.headers.get('referrer-policy'), 'same-origin');
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  assert.match(response.headers.get('vary') ?? '', /accept/i, 'caches keep the page and the JSON answer apart');
}

describe('the landing page at / (embedded mode)', () => {
  let server: EmbeddedTestServer;
  before(async () => {
    server = await startEmbedded();
  });
  after(async () => server?.close());

  it('says what the server is, gives the MCP URL and links to the account page, with the pages’ protections', async () => {
    const response = await openRoot(server.urls.origin);
    assert.equal(response.status, 200);
    assertPageHeaders(response);
    const body = await response.text();
    assert.match(body, /<h1>Embedded test<\/h1>/);
    assert.match(body, /MCP server protected by OAuth/);
    assert.ok(body.includes(`<code class="url">${server.urls.resource}</code>`), 'the MCP URL to give a client');
    assert.ok(body.includes(`href="${server.urls.issuer}/account"`), 'a link to the account page');
    assert.match(body, /gatehouse clients add --preset &lt;client&gt;/);
    assert.match(body, /<link rel="icon" href="data:,">/, 'no /favicon.ico request from the page');
  });

  it('answers curl (Accept: */*) with the page too', async () => {
    const response = await openRoot(server.urls.origin, '*/*');
    assert.equal(response.status, 200);
    assert.match(await response.text(), /<h1>Embedded test<\/h1>/);
  });

  it('keeps the JSON 404 for a client that asks for JSON', async () => {
    const response = await openRoot(server.urls.origin, 'application/json');
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as Record<string, unknown>)['error'], 'not_found');
    assert.match(response.headers.get('vary') ?? '', /accept/i);
  });

  it('gives the MCP URL of the loopback name the browser used, and the account page at the issuer', async () => {
    const origin = server.urls.origin.replace('localhost', '127.0.0.1');
    const body = await (await openRoot(origin)).text();
    assert.ok(body.includes(`<code class="url">${origin}/mcp</code>`), body);
    assert.ok(body.includes(`href="${server.urls.issuer}/account"`), 'cookies and forms live at the issuer');
  });

  it('is refused under a Host the server does not answer to, as every page is', async () => {
    const response = await rawRequest(`${server.urls.origin}/`, { headers: { accept: BROWSER_ACCEPT, host: 'evil.example' } });
    assert.equal(response.status, 403);
    assert.doesNotMatch(response.body, /Embedded test/);
  });
});

describe('the landing page at / (resource mode)', () => {
  const fx = useJwtServer();

  it('has no account page to link to, so it says where accounts and tokens come from', async () => {
    const response = await openRoot(fx.server.urls.origin);
    assert.equal(response.status, 200);
    assertPageHeaders(response);
    const body = await response.text();
    assert.ok(body.includes(`<code class="url">${fx.server.urls.resource}</code>`));
    assert.ok(body.includes(`<code class="url">${fx.issuer.url}</code>`), 'the issuer');
    assert.doesNotMatch(body, /\/account"/);
    assert.doesNotMatch(body, /clients add/, 'clients are registered at the issuer, not here');
  });
});
