import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import type { Browser } from 'playwright-core';
import { launchBrowser, signInAndAllow } from '../helpers/browser.js';
import { BIN, runCli } from '../helpers/cli.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { within } from '../helpers/process.js';
import { StdioBridges } from '../helpers/stdio-bridges.js';

const EMAIL = 'ada@example.com';
const AUTHORIZE_PROMPT = /to authorize access to \S+, open (http\S+)/;

/**
 * `gatehouse connect <url> --no-browser` as the stdio bridge of the official MCP client, against an embedded
 * Gatehouse: the bridge prints the authorization URL, Chromium signs in and consents like a person, and the
 * client then calls whoami over stdio. The built CLI is what runs (`npm run build` first).
 */
describe('gatehouse connect as a stdio bridge for the official client (Chromium)', () => {
  let server: EmbeddedTestServer;
  let browser: Browser;
  let configDir: string;
  const bridges = new StdioBridges();

  const bridge = (options?: ConstructorParameters<typeof Client>[1]) =>
    bridges.start(
      { args: [BIN, 'connect', server.urls.resource, '--no-browser'], env: { PATH: process.env['PATH'] ?? '', GATEHOUSE_CONFIG_DIR: configDir } },
      { name: 'connect-e2e', options },
    );

  before(async () => {
    server = await startEmbedded();
    await server.accounts.create(EMAIL, PASSWORD);
    configDir = join(mkdtempSync(join(tmpdir(), 'gatehouse-connect-')), 'config');
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await bridges.closeAll();
    await server?.close();
  });

  it('prints the authorization URL, signs in through the browser, and whoami answers through the bridge', async () => {
    const { client, stderr, connected } = bridge();
    const [, url] = await stderr.waitFor(AUTHORIZE_PROMPT, 60_000);
    const authorize = new URL(url!);
    assert.equal(`${authorize.origin}${authorize.pathname}`, `${server.urls.issuer}/auth`);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authorize.searchParams.get('resource'), server.urls.resource, 'RFC 8707 resource names the MCP server');
    assert.match(authorize.searchParams.get('redirect_uri')!, /^http:\/\/127\.0\.0\.1:\d+\/callback$/, 'a loopback redirect on an ephemeral port');
    assert.ok(authorize.searchParams.get('state'), 'a state to tie the callback to this sign-in');

    const page = await browser.newPage();
    await signInAndAllow(page, url!, { email: EMAIL, password: PASSWORD }, { screenshots: 'connect-bridge' });
    await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback/);
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText() is the text as rendered, what the person reads
    assert.match(await page.locator('body').innerText(), /Signed in\. You can close this tab\./);
    await page.close();

    await within(connected, 60_000, 'the bridge redeems the code and the stdio connection comes up');
    const tools = await client.listTools();
    assert.deepEqual(
      tools.tools.map((t) => t.name),
      ['whoami'],
    );
    const me = (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as Record<string, unknown>;
    assert.equal(me['authenticated'], true);
    assert.equal(me['issuer'], server.urls.issuer);
    assert.deepEqual(me['scopes'], ['read:whoami']);
    await client.close();

    // The tokens are the person's: readable by them alone.
    assert.equal(statSync(join(configDir, 'tokens.json')).mode & 0o777, 0o600);
    assert.equal(statSync(configDir).mode & 0o777, 0o700);
  });

  it('a second run uses the stored token: no authorization URL, straight to whoami', async () => {
    const { client, stderr, connected } = bridge();
    await within(connected, 60_000, 'the bridge connects with the stored token');
    const me = (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as Record<string, unknown>;
    assert.equal(me['authenticated'], true);
    assert.doesNotMatch(stderr.text(), AUTHORIZE_PROMPT, 'no new sign-in');
    await client.close();
  });

  it('passes the 2026-07-28 stateless protocol through untouched', async () => {
    const { client, connected } = bridge({ versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await within(connected, 60_000, 'the bridge carries the 2026-07-28 discovery');
    assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
    const me = (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as Record<string, unknown>;
    assert.equal(me['authenticated'], true);
    await client.close();
  });

  it('answers --list and --call from scripts with the stored token, JSON on stdout only', async () => {
    const script = async (...args: string[]) => {
      const run = runCli(['connect', server.urls.resource, '--no-browser', ...args], { GATEHOUSE_CONFIG_DIR: configDir });
      run.child.stdin.end();
      const code = await within(run.exited, 60_000, `gatehouse connect ${args.join(' ')}`);
      assert.doesNotMatch(run.stderr(), AUTHORIZE_PROMPT, 'no new sign-in');
      return { code, stdout: run.stdout(), stderr: run.stderr() };
    };
    const listed = await script('--list');
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { tools: { name: string }[] }).tools.map((t) => t.name),
      ['whoami'],
    );
    const called = await script('--call', 'whoami', '--args', '{}');
    assert.equal(called.code, 0, called.stderr);
    assert.equal((JSON.parse(called.stdout) as { structuredContent: { authenticated: boolean } }).structuredContent.authenticated, true);
    const missing = await script('--call', 'no-such-tool');
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.equal(missing.stderr, 'gatehouse: Tool no-such-tool not found\n', 'the failure in one line on stderr');
  });
});
