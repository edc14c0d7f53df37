import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { connect } from '../../src/client/connect/connect.js';
import { UnsafeAuthorizationUrlError } from '../../src/client/connect/opener.js';
import { launchBrowser, signInAndAllow } from '../helpers/browser.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';

const EMAIL = 'ada@example.com';

const tokenFile = (configDir: string) => join(configDir, 'tokens.json');
const storedAccessTokens = (configDir: string) =>
  existsSync(tokenFile(configDir)) ? (readFileSync(tokenFile(configDir), 'utf8').match(/"access_token"/g) ?? []).length : 0;

describe('gatehouse connect refuses a tampered sign-in (embedded Gatehouse, Chromium)', () => {
  let server: EmbeddedTestServer;
  let browser: Browser;

  before(async () => {
    server = await startEmbedded();
    await server.accounts.create(EMAIL, PASSWORD);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('refuses a callback whose iss is not the authorization server (RFC 9207) before redeeming its code', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'gatehouse-connect-iss-'));
    const attempt = connect(server.urls.resource, {
      configDir,
      log: () => {},
      // A response with the right state but another issuer: a mix-up attack (RFC 9207 §2.4).
      openBrowser: async (url) => {
        const callback = new URL(url.searchParams.get('redirect_uri')!);
        callback.search = new URLSearchParams({
          code: 'code-from-elsewhere',
          state: url.searchParams.get('state')!,
          iss: 'https://attacker.example',
        }).toString();
        assert.equal((await fetch(callback)).status, 200, 'the state is right, so the listener hands it on');
      },
    });
    await assert.rejects(attempt, /Issuer mismatch in authorization response \(RFC 9207\)/);
    assert.equal(storedAccessTokens(configDir), 0);
  });

  it('refuses a callback with another state, and completes with the genuine one', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'gatehouse-connect-state-'));
    const page = await browser.newPage();
    let forgedStatus = 0;
    const connection = await connect(server.urls.resource, {
      configDir,
      log: () => {},
      openBrowser: async (url) => {
        const forged = new URL(url.searchParams.get('redirect_uri')!);
        forged.search = new URLSearchParams({ code: 'attacker-code', state: 'forged-state', iss: server.urls.issuer }).toString();
        forgedStatus = (await fetch(forged)).status;
        await signInAndAllow(page, url.href, { email: EMAIL, password: PASSWORD });
      },
    });
    await page.close();
    try {
      assert.equal(forgedStatus, 400, 'the listener refused the callback with a state it did not send');
      const me = (await connection.client.callTool({ name: 'whoami', arguments: {} })).structuredContent as Record<string, unknown>;
      assert.equal(me['authenticated'], true);
    } finally {
      await connection.close();
    }
  });
});

/** A resource and authorization server whose metadata names `authorizationEndpoint`, as a hostile server could. */
async function hostileAuthorizationServer(authorizationEndpoint: string): Promise<{ url: string; close: () => Promise<void> }> {
  let origin = '';
  const server: Server = createServer((request, response) => {
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };
    const path = new URL(request.url ?? '/', origin).pathname;
    if (path === '/mcp') {
      return json(401, { error: 'unauthorized' }, { 'www-authenticate': `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"` });
    }
    if (path === '/.well-known/oauth-protected-resource/mcp') return json(200, { resource: `${origin}/mcp`, authorization_servers: [origin] });
    if (path === '/.well-known/oauth-authorization-server') {
      return json(200, {
        issuer: origin,
        authorization_endpoint: authorizationEndpoint,
        token_endpoint: `${origin}/token`,
        registration_endpoint: `${origin}/register`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
      });
    }
    if (path === '/register')
      return json(201, { client_id: 'hostile-client', redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none' });
    return json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: `${origin}/mcp`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('gatehouse connect never hands a non-http(s) authorization endpoint to the browser', () => {
  for (const endpoint of ['file:///etc/passwd', 'javascript:alert(document.cookie)', 'x-custom-handler://run?cmd=$(touch%20/tmp/pwned)']) {
    it(`refuses ${endpoint.split(':')[0]}: nothing is opened, nothing is printed to follow`, async () => {
      const hostile = await hostileAuthorizationServer(endpoint);
      const marker = join(mkdtempSync(join(tmpdir(), 'gatehouse-opener-')), 'opened');
      const lines: string[] = [];
      try {
        await assert.rejects(
          connect(hostile.url, {
            configDir: mkdtempSync(join(tmpdir(), 'gatehouse-connect-hostile-')),
            log: (line) => lines.push(line),
            // Were this opener ever run, it would create the marker.
            browserCommand: [process.execPath, '-e', `require('node:fs').writeFileSync(${JSON.stringify(marker)}, process.argv[1] ?? '')`],
          }),
          (error: Error) => error instanceof UnsafeAuthorizationUrlError || /url|endpoint|invalid/i.test(error.message),
        );
      } finally {
        await hostile.close();
      }
      assert.equal(existsSync(marker), false, 'the opener was never started');
      assert.deepEqual(
        lines.filter((line) => line.includes('open ')),
        [],
        'no authorization URL was offered to follow',
      );
    });
  }
});
