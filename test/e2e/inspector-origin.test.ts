import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { signInAndAllow } from '../helpers/browser.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';

/**
 * What a browser-based client does from the MCP Inspector's page against the default server (no settings): every
 * request is made by real Chromium from `http://localhost:6274` with `fetch`, so the browser's own CORS rules (the
 * preflights, the readable headers) decide, as they do for the Inspector when it talks to a server from the page.
 * No port 6274 is taken: Chromium goes through a small proxy that answers for `http://localhost:6274` with a blank
 * page and passes every other request on untouched, preflights included (Playwright's own request interception
 * would answer preflights itself, and so test nothing).
 */
const INSPECTOR = 'http://localhost:6274';
const CALLBACK = `${INSPECTOR}/oauth/callback`;
/** A page on an origin nobody allowed. */
const ELSEWHERE = 'http://localhost:6999';

/** An HTTP proxy that is a blank page for `INSPECTOR` and `ELSEWHERE`, and a plain pass-through for everything else. */
async function inspectorPageProxy(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const target = new URL(req.url ?? '/');
    if (target.origin === INSPECTOR || target.origin === ELSEWHERE) {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Inspector</title>');
      return;
    }
    const forward = httpRequest(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** `fetch` run in the page: what the page may read of the answer (a CORS failure rejects, as in the Inspector). */
async function pageFetch(page: Page, url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return page.evaluate(
    async ([url, init]) => {
      const response = await fetch(url, init);
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name] = value;
      });
      return { status: response.status, headers, body: await response.text() };
    },
    [url, init] as const,
  );
}

describe("the MCP Inspector's page against the default server", () => {
  let server: EmbeddedTestServer;
  let browser: Browser;
  let page: Page;
  let proxy: Server;
  /** Whether the browser sent a preflight for this path: Chromium does not show preflights to the page, the log does. */
  const preflighted = (path: string) =>
    server.logs.some((line) => {
      const entry = JSON.parse(line) as { method?: string; path?: string; status?: number };
      return entry.method === 'OPTIONS' && entry.path === path && entry.status === 204;
    });

  before(async () => {
    server = await startEmbedded();
    await server.accounts.create('ada@example.com', PASSWORD);
    const pageProxy = await inspectorPageProxy();
    proxy = pageProxy.server;
    browser = await chromium.launch({
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
      // <-loopback>: send localhost through the proxy too, which Chromium would otherwise bypass.
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--proxy-bypass-list=<-loopback>'],
      proxy: { server: pageProxy.url },
    });
    page = await browser.newPage();
    await page.goto(`${INSPECTOR}/`);
  });
  after(async () => {
    await browser?.close();
    proxy?.closeAllConnections();
    await new Promise((resolve) => proxy?.close(resolve));
    await server?.close();
  });

  let clientId = '';
  let metadataUrl = '';

  it('reads the 401 challenge of /mcp, whose Origin the server allows', async () => {
    const answer = await pageFetch(page, server.urls.resource, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
    });
    assert.equal(answer.status, 401);
    metadataUrl = /resource_metadata="([^"]+)"/.exec(answer.headers['www-authenticate'] ?? '')?.[1] ?? '';
    assert.equal(metadataUrl, server.urls.resourceMetadata, 'the challenge is readable from the page');
    assert.ok(preflighted(new URL(server.urls.resource).pathname), 'the browser asked first, and was answered');
  });

  it('reads the protected resource and authorization server metadata, sent with MCP-Protocol-Version', async () => {
    const prm = await pageFetch(page, metadataUrl, { headers: { 'mcp-protocol-version': '2025-11-25' } });
    assert.equal(prm.status, 200);
    assert.equal(JSON.parse(prm.body).resource, server.urls.resource);
    const as = await pageFetch(page, `${server.urls.issuer}/.well-known/oauth-authorization-server`, { headers: { 'mcp-protocol-version': '2025-11-25' } });
    assert.equal(as.status, 200);
    assert.equal(JSON.parse(as.body).registration_endpoint, `${server.urls.issuer}/reg`);
  });

  it('registers itself at /reg and reads its client id', async () => {
    const answer = await pageFetch(page, `${server.urls.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({
        client_name: 'MCP Inspector',
        redirect_uris: [CALLBACK],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      }),
    });
    assert.equal(answer.status, 201);
    clientId = JSON.parse(answer.body).client_id;
    assert.ok(clientId);
    assert.ok(preflighted('/reg'), 'a JSON POST is preflighted, and the preflight answered');
  });

  it('after sign-in, redeems the code at /token and calls a tool with the SEP-2243 headers', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL(`${server.urls.issuer}/auth`);
    for (const [name, value] of Object.entries({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: CALLBACK,
      scope: 'read:whoami',
      state: 'inspector-state',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      resource: server.urls.resource,
    }))
      authorize.searchParams.set(name, value);
    await signInAndAllow(page, authorize.href, { email: 'ada@example.com', password: PASSWORD });
    await page.waitForURL(`${CALLBACK}?**`);
    const code = new URL(page.url()).searchParams.get('code');
    assert.ok(code, 'the authorization response came back to the Inspector page');

    const token = await pageFetch(page, `${server.urls.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'mcp-protocol-version': '2025-11-25' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: CALLBACK,
        client_id: clientId,
        code_verifier: verifier,
        resource: server.urls.resource,
      }).toString(),
    });
    assert.equal(token.status, 200, token.body);
    const accessToken = JSON.parse(token.body).access_token as string;

    const call = await pageFetch(page, server.urls.resource, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'whoami',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: {
          name: 'whoami',
          arguments: {},
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientInfo': { name: 'inspector-page', version: '1' },
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        },
      }),
    });
    assert.equal(call.status, 200, call.body);
    assert.match(call.body, /\\"authenticated\\":true/);
  });

  it('a page on another origin is refused at /mcp and /reg, and gets nothing it can read', async () => {
    const other = await browser.newPage();
    try {
      await other.goto(`${ELSEWHERE}/`);
      for (const url of [server.urls.resource, `${server.urls.issuer}/reg`]) {
        await assert.rejects(
          pageFetch(other, url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
          /Failed to fetch/,
          `${url} from another origin`,
        );
      }
      // What the browser hid from the page: both endpoints refuse that Origin outright.
      for (const url of [server.urls.resource, `${server.urls.issuer}/reg`]) {
        const response = await fetch(url, { method: 'POST', headers: { origin: ELSEWHERE, 'content-type': 'application/json' }, body: '{}' });
        assert.equal(response.status, 403, url);
        assert.match(await response.text(), /Origin http:\/\/localhost:6999 is not allowed/);
      }
    } finally {
      await other.close();
    }
  });
});
