import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { freePort } from '../helpers/cli.js';
import { decide, signInAndReadConsent } from '../helpers/consent.js';
import { PASSWORD } from '../helpers/embedded-server.js';
import { addUser, gatehouseCommand, startGatehouse, type GatehouseProcess } from '../helpers/gatehouse-process.js';
import { within } from '../helpers/process.js';
import { StdioBridges } from '../helpers/stdio-bridges.js';

/**
 * mcp-remote, the stdio bridge people put in front of remote servers, against `gatehouse serve` with the
 * client an operator pre-registers for it (`gatehouse clients add --preset mcp-remote`). The official
 * client talks MCP to mcp-remote over stdio; mcp-remote does the OAuth flow; Chromium is the person.
 *
 * mcp-remote opens the browser with the `open` package, whose bundled xdg-open runs $BROWSER when there
 * is no display: BROWSER=true makes that a no-op, and the test takes the URL mcp-remote prints on stderr.
 */

const MCP_REMOTE = fileURLToPath(new URL('../../node_modules/mcp-remote/dist/proxy.js', import.meta.url));
const EMAIL = 'grace@example.com';
const AUTHORIZE_PROMPT = /Please authorize this client by visiting:\s*\n(http\S+)/;

describe('mcp-remote with a pre-registered client (gatehouse serve, Chromium)', () => {
  let server: GatehouseProcess;
  let browser: Browser;
  let clientId: string;
  let callbackPort: number;
  /** mcp-remote's private state (MCP_REMOTE_CONFIG_DIR, and HOME): nothing leaks between runs or into ~. */
  let configDir: string;
  const bridges = new StdioBridges();

  /** Start mcp-remote through the official client's stdio transport; the connection completes once OAuth does. */
  const bridge = () =>
    bridges.start(
      {
        args: [
          MCP_REMOTE,
          server.urls.resource,
          String(callbackPort),
          '--static-oauth-client-info',
          JSON.stringify({ client_id: clientId }),
          '--transport',
          'http-only',
          '--auth-timeout',
          '60',
        ],
        env: { PATH: process.env['PATH'] ?? '', HOME: configDir, MCP_REMOTE_CONFIG_DIR: configDir, BROWSER: 'true' },
      },
      { name: 'mcp-remote-e2e' },
    );

  before(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-mcp-remote-'));
    configDir = mkdtempSync(join(tmpdir(), 'mcp-remote-config-'));
    await addUser(dataDir, EMAIL, PASSWORD);
    server = await startGatehouse({ dataDir });
    // The operator registers the client while the server runs, as the preset's instructions say.
    const record = JSON.parse(await gatehouseCommand(['clients', 'add', '--preset', 'mcp-remote', '--json', '--data-dir', dataDir])) as Record<string, unknown>;
    clientId = String(record['client_id']);
    assert.equal(record['gatehouse_preset'], 'mcp-remote');
    assert.equal(record['token_endpoint_auth_method'], 'none');
    assert.ok((record['redirect_uris'] as string[]).includes('http://localhost/oauth/callback'));
    callbackPort = await freePort();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await bridges.closeAll();
    await server?.stop();
  });

  it('signs in through the browser, then the official client calls whoami over stdio', async () => {
    const { client, stderr, connected } = bridge();
    try {
      const [, url] = await stderr.waitFor(AUTHORIZE_PROMPT, 30_000);
      const authorize = new URL(url!);
      assert.equal(`${authorize.origin}${authorize.pathname}`, `${server.urls.issuer}/auth`);
      assert.equal(authorize.searchParams.get('client_id'), clientId, 'the pre-registered client, no dynamic registration');
      assert.equal(authorize.searchParams.get('redirect_uri'), `http://localhost:${callbackPort}/oauth/callback`);
      assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
      assert.equal(authorize.searchParams.get('resource'), server.urls.resource);

      const page = await browser.newPage();
      try {
        const consent = await signInAndReadConsent(page, url!, { email: EMAIL, password: PASSWORD }, 'mcp-remote');
        assert.match(consent, /Allow mcp-remote to access your account\?/);
        assert.ok(consent.includes(`you will be sent to an app on this computer (port ${callbackPort})`), consent);
        assert.match(consent, /only redirects to this computer/);
        await decide(page, 'mcp-remote');
        assert.equal(new URL(page.url()).host, `localhost:${callbackPort}`, 'back at mcp-remote');
        // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText() is the text as rendered, what the person reads
        assert.match(await page.locator('body').innerText(), /Authorization successful/);
      } finally {
        await page.close();
      }

      await within(connected, 30_000, 'mcp-remote finishes the flow and the stdio connection comes up');
      const tools = await client.listTools();
      assert.deepEqual(
        tools.tools.map((t) => t.name),
        ['whoami'],
      );
      const me = (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as Record<string, unknown>;
      assert.equal(me['authenticated'], true);
      // Only the tool's scope was asked for: the person is known by id, and their email is not shared.
      assert.equal(typeof me['subject'], 'string');
      assert.equal(me['email'], undefined);
      assert.equal(me['clientId'], clientId);
      assert.equal(me['issuer'], server.urls.issuer);
      assert.deepEqual(me['scopes'], ['read:whoami']);
      assert.match(stderr.text(), /Connected to remote server/);
      assert.doesNotMatch(stderr.text(), /Registering|registration/i, 'the static client info was used');
    } finally {
      await client.close();
    }
    const stored = readdirSync(configDir, { recursive: true }).map(String);
    assert.ok(
      stored.some((f) => f.endsWith('tokens.json')),
      `tokens kept in MCP_REMOTE_CONFIG_DIR: ${stored.join(', ')}`,
    );
  });

  it('a second run reuses the stored tokens: no browser, straight to whoami', async () => {
    const { client, stderr, connected } = bridge();
    try {
      await within(connected, 30_000, 'mcp-remote connects with the stored tokens');
      const me = (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as Record<string, unknown>;
      // Only the tool's scope was asked for: the person is known by id, and their email is not shared.
      assert.equal(typeof me['subject'], 'string');
      assert.equal(me['email'], undefined);
      assert.doesNotMatch(stderr.text(), AUTHORIZE_PROMPT, 'no new authorization');
    } finally {
      await client.close();
    }
  });
});
