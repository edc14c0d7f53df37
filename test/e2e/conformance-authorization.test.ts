import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { decide, signInAndReadConsent } from '../helpers/consent.js';
import { freePort } from '../helpers/cli.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { CallbackServer } from '../helpers/oauth-client.js';
import { startProcess, within } from '../helpers/process.js';

const CONFORMANCE = fileURLToPath(new URL('../../node_modules/.bin/conformance', import.meta.url));
const EMAIL = 'ada@example.com';

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'SKIPPED' | 'INFO';
  errorMessage?: string;
}

interface ConformanceRun {
  exitCode: number | null;
  output: string;
  checks: Check[];
}

/**
 * `conformance authorization` (the official suite's authorization-server scenarios) against the embedded
 * authorization server. The authorization-code-grant scenario prints an authorization URL and waits for
 * the browser to come back to http://127.0.0.1:<port>/callback; `drive` plays the person in the browser.
 */
async function runConformance(issuer: string, args: string[], drive?: (authorizationUrl: string) => Promise<void>): Promise<ConformanceRun> {
  const outputDir = mkdtempSync(join(tmpdir(), 'gatehouse-conformance-'));
  const run = startProcess(CONFORMANCE, ['authorization', '--url', issuer, ...args, '-o', outputDir], {
    env: { PATH: process.env['PATH'] ?? '', HOME: outputDir, NO_COLOR: '1' },
  });
  try {
    if (drive) {
      const [, url] = await run.waitFor(/complete the authentication process\.\s*\n(http\S+)/, 30_000);
      await drive(url!);
    }
    const exitCode = await within(run.exited, 60_000, `conformance ${args.join(' ')} to finish`);
    const checks = readdirSync(outputDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .flatMap((entry) => JSON.parse(readFileSync(join(outputDir, entry.name, 'checks.json'), 'utf8')) as Check[]);
    return { exitCode, output: run.text(), checks };
  } finally {
    await run.stop();
  }
}

function assertAllPassed(run: ConformanceRun, expectedChecks: readonly string[]): void {
  const summary = run.checks.map((c) => `${c.id}: ${c.status}${c.errorMessage ? ` (${c.errorMessage})` : ''}`).join('\n');
  assert.deepEqual(run.checks.map((c) => c.id).sort(), [...expectedChecks].sort(), `the checks that ran:\n${summary}`);
  assert.deepEqual(
    run.checks.filter((c) => c.status !== 'SUCCESS'),
    [],
    `every check passed:\n${summary}\n\n${run.output}`,
  );
  assert.match(run.output, /(Total: \d+ passed, 0 failed|Passed: (\d+)\/\2, 0 failed, 0 warnings)/);
  assert.equal(run.exitCode, 0);
}

/** Sign in and click Allow, reading the consent page on the way; returns its text. */
async function signInAndAllowReading(page: Page, url: string, name: string): Promise<string> {
  const consent = await signInAndReadConsent(page, url, { email: EMAIL, password: PASSWORD }, name);
  await decide(page, name);
  return consent;
}

describe('official conformance suite: authorization server scenarios against the embedded server', () => {
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

  it('authorization-server-metadata-endpoint: every check passes', async () => {
    const run = await runConformance(server.urls.issuer, ['--scenario', 'authorization-server-metadata-endpoint']);
    assertAllPassed(run, ['authorization-server-metadata', 'authorization-server-metadata-cimd']);
  });

  // Fails today: see the next test. The suite sends no `scope`, and Gatehouse answers access_denied after Allow.
  it('every scenario, with a pre-registered client signed in and allowed in Chromium: every check passes', async () => {
    const port = await freePort();
    const client = await server.clients.add({ name: 'MCP conformance suite', redirectUris: [`http://127.0.0.1:${port}/callback`] });
    const page = await browser.newPage();
    try {
      const run = await runConformance(server.urls.issuer, ['--client-id', client.client_id, '-p', String(port)], async (url) => {
        const authorize = new URL(url);
        assert.equal(authorize.origin + authorize.pathname, `${server.urls.issuer}/auth`);
        assert.equal(authorize.searchParams.get('redirect_uri'), `http://127.0.0.1:${port}/callback`);
        await signInAndAllowReading(page, url, 'conformance');
      });
      assertAllPassed(run, ['authorization-server-metadata', 'authorization-server-metadata-cimd', 'authorization-code-grant']);
    } finally {
      await page.close();
    }
  });

  it('the same run passes once the authorization request names the scope (so a missing scope is the only failure)', async () => {
    const port = await freePort();
    const client = await server.clients.add({ name: 'MCP conformance suite (scoped)', redirectUris: [`http://127.0.0.1:${port}/callback`] });
    const page = await browser.newPage();
    // The browser adds scope=read:whoami to the suite's authorization request and leaves everything else as it is.
    await page.route(`${server.urls.issuer}/auth?**`, (route) => {
      const url = new URL(route.request().url());
      if (!url.searchParams.has('scope')) url.searchParams.set('scope', 'read:whoami');
      return route.continue({ url: url.href });
    });
    try {
      const run = await runConformance(server.urls.issuer, ['--client-id', client.client_id, '-p', String(port)], async (url) => {
        const consent = await signInAndAllowReading(page, url, 'conformance-scoped');
        assert.match(consent, /read:whoami/);
      });
      assertAllPassed(run, ['authorization-server-metadata', 'authorization-server-metadata-cimd', 'authorization-code-grant']);
    } finally {
      await page.close();
    }
  });

  /**
   * An authorization request without `scope` (the conformance scenario never sends one) is processed with
   * the resource's scopes as the default (RFC 6749 §3.3), not shown an empty consent and refused after Allow.
   */
  it('an authorization request without a scope gets the resource scopes by default', async () => {
    const callback = await CallbackServer.start();
    const page = await browser.newPage();
    try {
      const client = await server.clients.add({ name: 'Scopeless app', redirectUris: [callback.url] });
      const verifier = randomBytes(32).toString('base64url');
      const authorize = new URL(`${server.urls.issuer}/auth`);
      authorize.search = new URLSearchParams({
        response_type: 'code',
        client_id: client.client_id,
        redirect_uri: callback.url,
        state: 'scopeless',
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      }).toString();
      const redirected = callback.next();
      const consent = await signInAndAllowReading(page, authorize.href, 'scopeless');
      const params = await within(redirected, 15_000, 'the browser returns to the client');
      assert.equal(params.get('error'), null, `no error after Allow (got ${params.get('error')}: ${params.get('error_description')})`);
      assert.match(consent, /read:whoami/, 'the consent page lists the default scope it grants');
      const token = await fetch(`${server.urls.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: params.get('code') ?? '',
          redirect_uri: callback.url,
          client_id: client.client_id,
          code_verifier: verifier,
        }),
      });
      assert.equal(token.status, 200);
      assert.match(String(((await token.json()) as Record<string, unknown>)['scope']), /read:whoami/);
    } finally {
      await page.close();
      await callback.close();
    }
  });
});
