import assert from 'node:assert/strict';
import { MATRIX } from '../helpers/matrix.js';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { UpstreamError, type UpstreamSource } from '../../src/authserver/upstream/source.js';
import {
  authorizationUrl,
  Browser,
  callMcp,
  decodeJwt,
  leakedSecrets,
  nativeClientMetadata,
  redeemCode,
  refresh,
  registerClient,
  type AuthorizationRequest,
  type JsonResponse,
  type PageStep,
  type Step,
} from '../helpers/authorize.js';
import {
  federatedAuthorize,
  GITHUB_CLIENT_ID,
  GITHUB_CLIENT_SECRET,
  isConsent,
  isUpstreamChoice,
  OCTOCAT,
  startGitHubFederated,
  type FederatedTestServer,
} from '../helpers/federated.js';
import type { GitHubUser } from '../helpers/github-fixture.js';

/**
 * Attacks on federated mode (the "OAuth proxy"), after the security checklist §3: P1 confused deputy, P2 consent
 * binding, the state transaction (§0.6), P4 upstream credentials, P5 token passthrough, P7 redirects, P8 escaping.
 *
 * Every server runs on loopback with the GitHub-shaped fixture as its upstream. The fixture sends a returning user
 * who already authorized Gatehouse's app straight back with a code, showing nothing: the dangerous upstream
 * behaviour that makes Gatehouse's own consent the only barrier. Each person has their own `Browser` (cookie jar).
 * Attackers register their own MCP clients through DCR, redirecting to a sink: a plain HTTP server that records
 * every request. A victim's browser follows redirects to the sink, as a real browser would, so a code that
 * leaves Gatehouse for the attacker shows up there.
 */

/** The honest app's redirect URI (never contacted: browsers stop at the redirect to it). */
const APP_REDIRECT = 'http://127.0.0.1:43111/callback';
/** The attacker's own GitHub account, which has authorized Gatehouse's app as well. */
const MALLORY: GitHubUser = { id: 9_000_001, login: 'mallory', name: 'Mallory', emails: [{ email: 'mallory@evil.example', primary: true, verified: true }] };
/** What an attacker puts where a page might show it. */
const XSS_ERROR = '<svg/onload=alert(1)>';
const XSS_DESCRIPTION = '<script>alert(1)</script>';
const XSS_CLIENT_NAME = '<img src=x onerror=alert(1)>';

// ---------------------------------------------------------------------------------------------------------
// The attacker's sink

interface Sink {
  origin: string;
  url(path: string): string;
  /** Every request the sink received, in order. */
  hits: URL[];
  hitsAt(path: string): URL[];
  close(): Promise<void>;
}

async function startSink(): Promise<Sink> {
  const hits: URL[] = [];
  const server = createServer((req, res) => {
    hits.push(new URL(req.url ?? '/', origin));
    res.writeHead(200, { 'content-type': 'text/plain' }).end('received');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (path) => `${origin}${path}`,
    hits,
    hitsAt: (path) => hits.filter((hit) => hit.pathname === path),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Browsers

interface Exchange {
  method: string;
  url: URL;
  status: number;
  headers: Headers;
  body: string;
}

/** A `Browser` that also keeps every response it received, body included, for leak and escaping scans. */
class RecordingBrowser extends Browser {
  readonly exchanges: Exchange[] = [];

  override async request(url: URL | string, init: Parameters<Browser['request']>[1] = {}): Promise<Response> {
    const response = await super.request(url, init);
    const body = await response.clone().text();
    this.exchanges.push({ method: init.method ?? 'GET', url: new URL(url), status: response.status, headers: response.headers, body });
    return response;
  }
}

/** A browser that stays on Gatehouse: it stops at the redirect to GitHub (an attacker capturing the URL). */
function gatehouseOnlyBrowser(server: FederatedTestServer): RecordingBrowser {
  return new RecordingBrowser(server);
}

/** A person's browser: it follows redirects to GitHub and to these sinks, as a real browser follows any redirect. */
function personBrowser(server: FederatedTestServer, ...sinks: Sink[]): RecordingBrowser {
  return new RecordingBrowser(server, { alsoFollow: [new URL(server.github.url).origin, ...sinks.map((s) => s.origin)] });
}

/**
 * Sign `login` in at the GitHub fixture and authorize Gatehouse's app there, as someone who used the app before:
 * the fixture's session cookie (a Set-Cookie line), with which GitHub answers Gatehouse's next authorization
 * request at once with a code. (The code this leaves behind is never used.)
 */
async function gitHubSession(server: FederatedTestServer, login: string): Promise<string> {
  const response = await fetch(`${server.github.url}/login/oauth/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: GITHUB_CLIENT_ID,
      redirect_uri: `${server.urls.issuer}/oauth/callback/github`,
      scope: 'read:user user:email',
      login,
      decision: 'authorize',
    }),
    redirect: 'manual',
  });
  await response.body?.cancel();
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('gh_session='));
  assert.ok(cookie, `the fixture signed ${login} in`);
  return cookie;
}

function giveGitHubSession<B extends Browser>(browser: B, server: FederatedTestServer, setCookie: string): B {
  browser.jar.store(new URL(server.github.url), setCookie);
  return browser;
}

/** The cookies Gatehouse (not GitHub, not the sink) left in a browser. */
function gatehouseCookies(browser: Browser, server: FederatedTestServer): string[] {
  const host = new URL(server.urls.issuer).host;
  return browser.jar
    .all()
    .filter((c) => c.host === host)
    .map((c) => c.name);
}

// ---------------------------------------------------------------------------------------------------------
// Steps of a flow

type RedirectStep = Extract<Step, { kind: 'redirect' }>;

function asPage(step: Step, label: string): PageStep {
  assert.equal(step.kind, 'page', `${label}: expected a page, got a redirect to ${step.kind === 'redirect' ? step.location.href : ''}`);
  return step as PageStep;
}

function asRedirect(step: Step, label: string): RedirectStep {
  assert.equal(
    step.kind,
    'redirect',
    `${label}: expected a redirect, got a page (${step.status}) at ${step.url.href}: ${step.kind === 'page' ? step.body.slice(0, 200) : ''}`,
  );
  return step as RedirectStep;
}

/** Gatehouse's own page before GitHub (the consent of a browser without a session): asserted and returned. */
function asSignInPage(step: Step, label: string): PageStep {
  const page = asPage(step, label);
  assert.ok(isUpstreamChoice(page), `${label}: expected Gatehouse's sign-in page, got ${page.status} at ${page.url.pathname}: ${page.body.slice(0, 200)}`);
  return page;
}

/** The authorization request of a client, opened in a browser. */
function openAuthorization(browser: Browser, request: Omit<AuthorizationRequest, 'server'> & { server: FederatedTestServer }): Promise<Step> {
  return browser.navigate(authorizationUrl(request).url);
}

interface Approval {
  /** GitHub's authorization URL, where approving sent the browser (not followed). */
  upstreamUrl: URL;
  /** The `state` Gatehouse made for the upstream request. */
  state: string;
  /** The interaction the approval belongs to. */
  uid: string;
  /** The Set-Cookie line of the consent-binding cookie. */
  binding: string;
}

/**
 * Approve on Gatehouse's sign-in page ("Allow and continue with GitHub") in a browser that stops at the
 * redirect to GitHub.
 */
async function approveAtGatehouse(browser: Browser, page: PageStep, source = 'github'): Promise<Approval> {
  assert.ok(isUpstreamChoice(page), 'the page is Gatehouse sign-in page');
  const uid = /\/interaction\/([^/]+)\/upstream$/.exec(page.form!.action.pathname)?.[1];
  assert.ok(uid, 'the interaction id');
  const cookiesBefore = browser.setCookies.length;
  const step = asRedirect(await browser.submit(page, { source }), 'approving sends the browser upstream');
  const state = step.location.searchParams.get('state');
  assert.ok(state, 'the upstream request carries a state');
  const binding = browser.setCookies.slice(cookiesBefore).find((c) => c.startsWith('__Host-gatehouse_upstream_'));
  assert.ok(binding, `approving set the binding cookie (got: ${browser.setCookies.slice(cookiesBefore).join(' | ')})`);
  return { upstreamUrl: step.location, state, uid, binding };
}

/** Take an approved sign-in to GitHub (which answers at once for a returning user): the callback URL, not followed. */
async function callbackFromGitHub(browser: Browser, approval: Approval): Promise<URL> {
  const response = await browser.request(approval.upstreamUrl);
  await response.body?.cancel();
  assert.equal(response.status, 302, 'GitHub sends a returning user straight back');
  const callback = new URL(response.headers.get('location')!);
  assert.equal(callback.pathname, '/oauth/callback/github');
  assert.ok(callback.searchParams.get('code'), 'with a code');
  return callback;
}

function callbackUrl(server: FederatedTestServer, params: Record<string, string>, source = 'github'): URL {
  const url = new URL(`${server.urls.issuer}/oauth/callback/${source}`);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/** The query parameters a redirect or a sink hit carries. */
const paramsOf = (url: URL) => Object.fromEntries(url.searchParams);

/** A page's text as a person reads it: tags dropped, whitespace collapsed. */
const visibleText = (body: string) => body.replace(/<[^>]*>/g, '').replace(/\s+/g, ' ');

/** All headers of a response, one `name: value` a line. */
function headerLines(headers: Headers): string {
  const lines: string[] = [];
  headers.forEach((value, name) => {
    lines.push(`${name}: ${value}`);
  });
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Assertions

/** An HTML page of Gatehouse's that can run no script and cannot be framed. */
function assertHardenedPage(step: Step, label: string): void {
  const page = asPage(step, label);
  const headers = page.headers;
  assert.match(headers.get('content-type') ?? '', /^text\/html; charset=utf-8$/i, `${label}: content type`);
  const csp = headers.get('content-security-policy') ?? '';
  const scriptSources = /(?:^|;)\s*script-src ([^;]*)/.exec(csp)?.[1] ?? /(?:^|;)\s*default-src ([^;]*)/.exec(csp)?.[1];
  assert.equal(scriptSources?.trim(), "'none'", `${label}: the CSP allows no script at all (${csp})`);
  assert.match(csp, /frame-ancestors 'none'/, `${label}: CSP frame-ancestors`);
  assert.equal(headers.get('x-frame-options'), 'DENY', `${label}: X-Frame-Options`);
  assert.equal(headers.get('x-content-type-options'), 'nosniff', `${label}: nosniff`);
  assert.match(headers.get('cache-control') ?? '', /no-store/, `${label}: not cached`);
}

/** No markup an attacker put in the request came back as markup (Gatehouse's pages use no script, svg or img elements at all). */
function assertNoInjectedMarkup(body: string, label: string): void {
  assert.doesNotMatch(body, /<script/i, `${label}: a raw <script`);
  assert.doesNotMatch(body, /<svg/i, `${label}: a raw <svg`);
  assert.doesNotMatch(body, /<img/i, `${label}: a raw <img`);
}

/** Every Gatehouse response a recording browser received: none reflects the attacker's markup. */
function assertNoInjectedMarkupOnGatehouse(browser: RecordingBrowser, server: FederatedTestServer, label: string): void {
  const origin = new URL(server.urls.issuer).origin;
  const exchanges = browser.exchanges.filter((e) => e.url.origin === origin);
  assert.ok(exchanges.length > 0, `${label}: Gatehouse answered`);
  for (const exchange of exchanges) assertNoInjectedMarkup(exchange.body, `${label}: ${exchange.method} ${exchange.url.pathname} (${exchange.status})`);
}

/**
 * The forms a secret takes in plain sight: verbatim, hex, and base64/base64url at each of the three byte
 * alignments (only the groups made of the secret's bytes alone, so it is found inside a longer encoded text).
 */
function plainForms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const forms = [secret, bytes.toString('hex')];
  for (let shift = 0; shift < 3; shift++) {
    const shifted = Buffer.concat([Buffer.alloc(shift), bytes]);
    const core = shifted.toString('base64').slice(shift ? 4 : 0, Math.floor(shifted.length / 3) * 4);
    forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}

/** Everything an outsider saw or could read, each piece labelled with where it came from, for leak scans. */
class Evidence {
  readonly #pieces: Array<{ label: string; text: string }> = [];

  add(label: string, text: string): void {
    this.#pieces.push({ label, text });
    // A JWT hides its payload from a plain search: decode the payload of any JWT too.
    for (const jwt of text.match(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]*/g) ?? [])
      this.#pieces.push({ label: `${label} (JWT payload)`, text: JSON.stringify(decodeJwt(jwt)) });
  }

  addHeaders(label: string, headers: Headers): void {
    this.add(`${label} headers`, headerLines(headers));
  }

  addExchanges(label: string, exchanges: readonly Exchange[]): void {
    for (const e of exchanges) {
      this.addHeaders(`${label}: ${e.method} ${e.url.pathname}`, e.headers);
      this.add(`${label}: ${e.method} ${e.url.pathname} body`, e.body);
    }
  }

  addJsonResponse(label: string, response: JsonResponse): void {
    this.addHeaders(label, response.headers);
    this.add(`${label} body`, JSON.stringify(response.body));
  }

  get size(): number {
    return this.#pieces.length;
  }

  /** Where any of these secrets shows up, in any plain form (each named by its first characters only). */
  leaks(secrets: readonly string[]): string[] {
    const found: string[] = [];
    for (const secret of secrets) {
      const forms = plainForms(secret);
      for (const piece of this.#pieces) if (forms.some((f) => piece.text.includes(f))) found.push(`${secret.slice(0, 6)}… in ${piece.label}`);
    }
    return found;
  }
}

/** Every file of a data directory, as bytes (latin1 keeps each byte one character, so ASCII secrets match). */
function dataFiles(dir: string): Array<{ name: string; bytes: string }> {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return { name: path.slice(dir.length + 1), bytes: readFileSync(path).toString('latin1') };
    });
}

/** A plain MCP tools/call over HTTP, keeping the whole answer. */
async function rawToolCall(server: FederatedTestServer, accessToken: string, name: string): Promise<{ status: number; headers: Headers; body: string }> {
  const response = await fetch(server.urls.resource, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${accessToken}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } }),
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** A second identity source that only counts the sign-ins it is asked to complete (it never completes one). */
function countingSource(name: string): UpstreamSource & { completions: number } {
  const source = {
    name,
    label: 'Other provider',
    completions: 0,
    async authorizationUrl(request: { state: string }) {
      const url = new URL('https://idp.invalid/authorize');
      url.searchParams.set('state', request.state);
      return url;
    },
    async complete(): Promise<never> {
      source.completions += 1;
      throw new UpstreamError('this provider never completes a sign-in');
    },
    async refresh(): Promise<never> {
      throw new UpstreamError('no refresh here');
    },
  };
  return source;
}

// =========================================================================================================

/**
 * P1, the confused deputy (FastMCP GHSA-c2jp-c369-7pvx): one upstream app credential, open DCR and an upstream
 * that skips its screen for a returning user. The attacker registers their own client and gets the victim to
 * open its authorization URL; without Gatehouse's own consent per client, the victim's code goes to the attacker.
 */
describe('attacks: P1 confused deputy (federated)', () => {
  let server: FederatedTestServer;
  let attacker: Sink;
  let honestApp: string;
  /** The victim's browser: a Gatehouse session and a GitHub session, after one approved sign-in with the honest app. */
  let victim: RecordingBrowser;
  let registered = 0;

  /** The attacker registers a client of their own through DCR, redirecting to a path of their sink. */
  async function attackerClient(): Promise<{ clientId: string; redirectUri: string; path: string }> {
    const path = `/steal/${++registered}`;
    const response = await registerClient(server, nativeClientMetadata(attacker.url(path), { client_name: 'Handy Notes Helper' }));
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return { clientId: String(response.body['client_id']), redirectUri: attacker.url(path), path };
  }

  before(async () => {
    server = await startGitHubFederated();
    attacker = await startSink();
    const app = await registerClient(server, nativeClientMetadata(APP_REDIRECT, { client_name: 'Honest app' }));
    honestApp = String(app.body['client_id']);
    victim = personBrowser(server, attacker);
    const signedIn = await federatedAuthorize({ server, clientId: honestApp, redirectUri: APP_REDIRECT, login: 'octocat', browser: victim });
    assert.ok(signedIn.params.get('code'), 'the victim approved the honest app once');
    assert.ok(
      victim.jar.all().some((c) => c.name === 'gh_session'),
      'the victim is signed in at GitHub',
    );
  });
  after(async () => {
    await server?.close();
    await attacker?.close();
  });

  it('P1 a victim with a Gatehouse session gets Gatehouse consent for the attacker client, naming it and its redirect host', async () => {
    const c2 = await attackerClient();
    const upstreamBefore = server.github.stats.authorizeRequests;

    const step = await openAuthorization(victim, { server, ...c2 });
    const page = asPage(step, 'the attacker authorization URL in the victim browser');
    assert.ok(isConsent(page), `Gatehouse consent page, got ${page.status} at ${page.url.pathname}: ${page.body.slice(0, 200)}`);
    assert.match(page.body, /Handy Notes Helper/, 'the page names the attacker client');
    assert.ok(
      visibleText(page.body).includes(`sent to an app on this computer (port ${new URL(c2.redirectUri).port})`),
      'the page says where the browser will be sent',
    );
    assert.match(page.body, /read:whoami/, 'the page names the scopes');
    assert.deepEqual(attacker.hitsAt(c2.path), [], 'nothing reached the sink before the victim decided');
    assert.equal(server.github.stats.authorizeRequests, upstreamBefore, 'no trip to GitHub was needed or made');

    // The victim denies: the attacker learns only that.
    const denied = asPage(await victim.submit(page, { decision: 'deny' }), 'after the denial');
    assert.equal(denied.url.origin, attacker.origin, 'the denial went back to the client');
    const hits = attacker.hitsAt(c2.path);
    assert.equal(hits.length, 1);
    assert.equal(hits[0]!.searchParams.get('error'), 'access_denied');
    assert.equal(hits[0]!.searchParams.get('code'), null, 'no code');
  });

  it('P1 prompt=none does not skip that consent: an error (consent or interaction required) and no code', async () => {
    const c2 = await attackerClient();
    const step = await openAuthorization(victim, { server, ...c2, extraParams: { prompt: 'none' } });
    assert.equal(asPage(step, 'prompt=none').url.origin, attacker.origin);
    const hits = attacker.hitsAt(c2.path);
    assert.equal(hits.length, 1);
    // consent_required, or interaction_required (oidc-provider asks a native client's user every time).
    assert.match(hits[0]!.searchParams.get('error') ?? '', /^(consent|interaction)_required$/);
    assert.equal(hits[0]!.searchParams.get('code'), null, 'no code');
  });

  it('P1 a victim with only a GitHub session gets Gatehouse sign-in page first, and GitHub is not contacted before approval', async () => {
    const c2 = await attackerClient();
    const ghSession = victim.jar.all().find((c) => c.name === 'gh_session');
    assert.ok(ghSession);
    const fresh = giveGitHubSession(personBrowser(server, attacker), server, `gh_session=${ghSession.value}; Path=/`);
    const upstreamBefore = server.github.stats.authorizeRequests;

    const page = asSignInPage(await openAuthorization(fresh, { server, ...c2 }), 'the attacker URL in a browser with only a GitHub session');
    assert.match(page.body, /Handy Notes Helper/, 'the page names the attacker client');
    assert.ok(
      visibleText(page.body).includes(`sent to an app on this computer (port ${new URL(c2.redirectUri).port})`),
      'the page says where the browser will be sent',
    );
    assert.match(page.body, /read:whoami/, 'the page names the scopes');
    assert.match(page.body, /Deny/, 'the person can refuse');
    assert.equal(server.github.stats.authorizeRequests, upstreamBefore, 'GitHub was not contacted');
    assert.deepEqual(attacker.hitsAt(c2.path), [], 'the sink got nothing');

    // Deny: an error to the client, still no trip to GitHub.
    const denied = asPage(await fresh.submit(page, { decision: 'deny' }), 'after the denial');
    assert.equal(denied.url.origin, attacker.origin);
    assert.deepEqual(
      attacker.hitsAt(c2.path).map((h) => [h.searchParams.get('error'), h.searchParams.get('code')]),
      [['access_denied', null]],
    );
    assert.equal(server.github.stats.authorizeRequests, upstreamBefore, 'GitHub was not contacted after a denial either');
  });

  it('P1 (control) only the approval on Gatehouse page lets GitHub answer silently and the code reach the client', async () => {
    // Shows the barrier above is the only one: GitHub itself shows nothing to this returning user.
    const c2 = await attackerClient();
    const page = asSignInPage(await openAuthorization(victim, { server, ...c2, extraParams: { prompt: 'login' } }), 'prompt=login');
    const upstreamBefore = server.github.stats.authorizeRequests;
    const seen = victim.exchanges.length;
    const done = asPage(await victim.submit(page, { source: 'github' }), 'after approving');
    assert.equal(server.github.stats.authorizeRequests, upstreamBefore + 1, 'GitHub was asked once');
    const fromGitHub = victim.exchanges.slice(seen).filter((e) => e.url.origin === new URL(server.github.url).origin);
    assert.deepEqual(
      fromGitHub.map((e) => e.status),
      [302],
      'GitHub answered with a redirect, no screen',
    );
    assert.equal(done.url.origin, attacker.origin);
    assert.ok(attacker.hitsAt(c2.path)[0]?.searchParams.get('code'), 'with the approval, the code reaches the client');
  });
});

// =========================================================================================================

/**
 * P2, consent binding (FastMCP CVE-2026-27124): the attacker approves in their own browser, captures the upstream
 * authorization URL and gets a victim who is signed in at GitHub (which then answers without a screen) to open
 * it. The callback must check that the browser bringing the code back is the one that consented.
 */
describe('attacks: P2 consent binding and the callback', () => {
  let server: FederatedTestServer;
  let attacker: Sink;
  let attackerClient: { clientId: string; redirectUri: string };
  let honestApp: string;
  let octocatSession: string;
  let mallorySession: string;

  before(async () => {
    server = await startGitHubFederated({ users: [OCTOCAT, MALLORY] });
    attacker = await startSink();
    const c2 = await registerClient(server, nativeClientMetadata(attacker.url('/steal'), { client_name: 'Handy Notes Helper' }));
    attackerClient = { clientId: String(c2.body['client_id']), redirectUri: attacker.url('/steal') };
    honestApp = String((await registerClient(server, nativeClientMetadata(APP_REDIRECT, { client_name: 'Honest app' }))).body['client_id']);
    octocatSession = await gitHubSession(server, 'octocat');
    mallorySession = await gitHubSession(server, 'mallory');
  });
  after(async () => {
    await server?.close();
    await attacker?.close();
  });

  /** The attacker's browser approves their own client on Gatehouse page and keeps the GitHub URL. */
  async function attackerApproves(): Promise<{ browser: RecordingBrowser; approval: Approval }> {
    const browser = gatehouseOnlyBrowser(server);
    const page = asSignInPage(await openAuthorization(browser, { server, ...attackerClient }), 'the attacker opens their client');
    return { browser, approval: await approveAtGatehouse(browser, page) };
  }

  it('P2 the upstream URL approved in the attacker browser, completed in the victim browser, gets 403 and no code', async () => {
    const { browser: attackerBrowser, approval } = await attackerApproves();
    const victim = giveGitHubSession(personBrowser(server, attacker), server, octocatSession);
    const codeGrants = server.github.stats.codeGrants;

    const step = asPage(await victim.navigate(approval.upstreamUrl), 'the victim follows the link');
    const fromGitHub = victim.exchanges.filter((e) => e.url.origin === new URL(server.github.url).origin);
    assert.deepEqual(
      fromGitHub.map((e) => e.status),
      [302],
      'GitHub auto-approved for the victim and sent the code back',
    );
    assert.equal(step.url.pathname, '/oauth/callback/github');
    assert.equal(step.status, 403, 'the callback refuses a browser that did not consent');
    assertHardenedPage(step, 'the 403 page');
    assert.equal(server.github.stats.codeGrants, codeGrants, 'the victim GitHub code was never redeemed');
    assert.deepEqual(gatehouseCookies(victim, server), [], 'Gatehouse gave the victim browser no session or other cookie');
    assert.deepEqual(attacker.hits, [], 'the sink got nothing');
    assert.ok(
      server.logs.some((line) => line.includes('upstream.binding_mismatch')),
      'the mismatch was logged',
    );

    // The attacker, back in their own browser, finds nothing waiting for their interaction...
    const resumed = asPage(await attackerBrowser.navigate(`${server.urls.issuer}/interaction/${approval.uid}/upstream`), 'the attacker resumes');
    assert.equal(resumed.status, 400);
    // ...and the state is spent: their own callback with it (and their binding cookie) gets 400.
    const own = asPage(await attackerBrowser.navigate(callbackUrl(server, { code: 'anything', state: approval.state })), 'the attacker own callback');
    assert.equal(own.status, 400);
    assert.deepEqual(attacker.hits, [], 'the sink still got nothing');
  });

  it('P2 that 403 page still clears the binding cookie of its state, as the callback always does', async () => {
    const { approval } = await attackerApproves();
    const victim = giveGitHubSession(personBrowser(server, attacker), server, octocatSession);
    const step = asPage(await victim.navigate(approval.upstreamUrl), 'the victim follows the link');
    assert.equal(step.status, 403);
    const name = approval.binding.split('=')[0]!;
    const deletion = victim.setCookies.find((c) => c.startsWith(`${name}=`));
    assert.ok(deletion, 'the 403 page carries the deletion of the binding cookie');
    assert.ok(/max-age=0/i.test(deletion) || Date.parse(/expires=([^;]+)/i.exec(deletion)?.[1] ?? '') < Date.now(), `expired: ${deletion}`);
  });

  it('P2 a victim already signed in at Gatehouse too gets the same 403, and keeps their own session', async () => {
    const victim = giveGitHubSession(personBrowser(server, attacker), server, octocatSession);
    await federatedAuthorize({ server, clientId: honestApp, redirectUri: APP_REDIRECT, browser: victim });
    const session = () =>
      victim.jar
        .all()
        .filter((c) => c.host === new URL(server.urls.issuer).host && c.name.startsWith('__Host-gatehouse_session'))
        .map((c) => c.value);
    const sessionBefore = session();
    assert.ok(sessionBefore.length > 0, 'the victim has a Gatehouse session');
    const { browser: attackerBrowser, approval } = await attackerApproves();
    const codeGrants = server.github.stats.codeGrants;

    const step = asPage(await victim.navigate(approval.upstreamUrl), 'the victim follows the link');
    assert.equal(step.status, 403);
    assert.equal(server.github.stats.codeGrants, codeGrants, 'the victim GitHub code was never redeemed');
    assert.deepEqual(session(), sessionBefore, 'the victim session is untouched');
    assert.equal(asPage(await attackerBrowser.navigate(`${server.urls.issuer}/interaction/${approval.uid}/upstream`), 'the attacker resumes').status, 400);
    assert.deepEqual(attacker.hits, [], 'the sink got nothing');
  });

  it('P2 (login CSRF) the attacker completed callback, opened in the victim browser, signs no one in', async () => {
    // The attacker goes to GitHub as themselves and sends the victim the callback URL with their own code.
    const { browser: attackerBrowser, approval } = await attackerApproves();
    giveGitHubSession(attackerBrowser, server, mallorySession);
    const callback = await callbackFromGitHub(attackerBrowser, approval);
    const codeGrants = server.github.stats.codeGrants;

    const victim = personBrowser(server, attacker);
    const step = asPage(await victim.navigate(callback), 'the victim opens the callback');
    assert.equal(step.status, 403);
    assert.deepEqual(gatehouseCookies(victim, server), [], 'the victim is not signed in as the attacker');
    assert.equal(server.github.stats.codeGrants, codeGrants, 'the attacker code was not redeemed');
    assert.deepEqual(attacker.hits, []);
  });

  it('P2 (login CSRF, account page) the attacker completed account sign-in callback signs no one in elsewhere', async () => {
    // The same trick through the account page: the attacker starts a sign-in there and keeps the callback.
    const attackerBrowser = giveGitHubSession(gatehouseOnlyBrowser(server), server, mallorySession);
    const signIn = asPage(await attackerBrowser.navigate(`${server.urls.issuer}/account`), 'the account sign-in page');
    const upstream = asRedirect(await attackerBrowser.submit(signIn, { source: 'github' }), 'to GitHub');
    const response = await attackerBrowser.request(upstream.location);
    await response.body?.cancel();
    const callback = new URL(response.headers.get('location')!);
    assert.equal(callback.pathname, '/oauth/callback/github');

    const victim = personBrowser(server, attacker);
    const step = asPage(await victim.navigate(callback), 'the victim opens the callback');
    assert.equal(step.status, 403);
    assert.deepEqual(gatehouseCookies(victim, server), [], 'the victim is not signed in to the attacker account');
    const account = asPage(await victim.navigate(`${server.urls.issuer}/account`), 'the victim account page');
    assert.ok(account.body.includes('/account/upstream'), 'the account page still asks the victim to sign in');
    assert.ok(!account.body.includes('mallory'), 'and shows nothing of the attacker account');
  });

  it('P2 a callback replayed with the same state (and the binding cookie) gets 400', async () => {
    const browser = giveGitHubSession(gatehouseOnlyBrowser(server), server, octocatSession);
    const page = asSignInPage(await openAuthorization(browser, { server, clientId: honestApp, redirectUri: APP_REDIRECT }), 'the honest app');
    const approval = await approveAtGatehouse(browser, page);
    const callback = await callbackFromGitHub(browser, approval);
    const codeGrants = server.github.stats.codeGrants;

    const first = asRedirect(await browser.navigate(callback), 'the first callback');
    assert.ok(first.location.searchParams.get('code'), 'the first callback completes the flow');
    assert.equal(server.github.stats.codeGrants, codeGrants + 1);

    // The callback deleted the binding cookie; put it back, so only the state's single use can stop the replay.
    browser.jar.store(new URL(server.urls.issuer), approval.binding);
    const replay = asPage(await browser.navigate(callback), 'the replay');
    assert.equal(replay.status, 400);
    assert.equal(replay.url.pathname, '/oauth/callback/github', 'answered at the callback, no redirect');
    assert.equal(server.github.stats.codeGrants, codeGrants + 1, 'no second code exchange');
  });

  it('P2 two racing callbacks with one state: exactly one goes on', async () => {
    const browser = giveGitHubSession(gatehouseOnlyBrowser(server), server, octocatSession);
    const page = asSignInPage(await openAuthorization(browser, { server, clientId: honestApp, redirectUri: APP_REDIRECT }), 'the honest app');
    const callback = await callbackFromGitHub(browser, await approveAtGatehouse(browser, page));
    const codeGrants = server.github.stats.codeGrants;

    const answers = await Promise.all([browser.request(callback), browser.request(callback)]);
    await Promise.all(answers.map((r) => r.body?.cancel()));
    assert.deepEqual(answers.map((r) => r.status).sort(), [303, 400]);
    assert.equal(server.github.stats.codeGrants, codeGrants + 1, 'one code exchange');
  });

  it('P2 a callback with an unknown or missing state gets 400, no redirect', async () => {
    const browser = gatehouseOnlyBrowser(server);
    const attempts: Record<string, string>[] = [{ code: 'abc', state: 'made-up-state' }, { code: 'abc' }, { state: '' }, {}];
    for (const params of attempts) {
      const step = asPage(await browser.navigate(callbackUrl(server, params)), JSON.stringify(params));
      assert.equal(step.status, 400, JSON.stringify(params));
      assert.equal(browser.exchanges.at(-1)!.headers.get('location'), null);
    }
    assert.deepEqual(attacker.hits, []);
  });

  it('P2 a state used under another source name gets 400 and no code anywhere', async () => {
    const browser = giveGitHubSession(gatehouseOnlyBrowser(server), server, octocatSession);
    const page = asSignInPage(await openAuthorization(browser, { server, ...attackerClient }), 'the sign-in page');
    const approval = await approveAtGatehouse(browser, page);
    const callback = await callbackFromGitHub(browser, approval);
    const codeGrants = server.github.stats.codeGrants;

    for (const source of ['oidc', 'GitHub', 'github%2F..%2Fgithub']) {
      const elsewhere = new URL(callback.href.replace('/oauth/callback/github', `/oauth/callback/${source}`));
      const step = asPage(await browser.navigate(elsewhere), `/oauth/callback/${source}`);
      assert.ok(step.status === 400 || step.status === 404, `/oauth/callback/${source}: ${step.status}`);
      assert.equal(browser.exchanges.at(-1)!.headers.get('location'), null);
    }
    assert.equal(server.github.stats.codeGrants, codeGrants, 'no code exchanged');
    assert.deepEqual(attacker.hits, [], 'the sink got nothing');
  });
});

// =========================================================================================================

/** P2 with two configured sources: a state issued for one is worthless at the other's callback. */
describe('attacks: P2 a state crossing identity sources', () => {
  let server: FederatedTestServer;
  let other: ReturnType<typeof countingSource>;
  let clientId: string;
  let octocatSession: string;

  before(async () => {
    other = countingSource('other');
    server = await startGitHubFederated({ extraUpstreams: [other] });
    clientId = String((await registerClient(server, nativeClientMetadata(APP_REDIRECT))).body['client_id']);
    octocatSession = await gitHubSession(server, 'octocat');
  });
  after(() => server?.close());

  it('P2 a GitHub state at the other source callback gets 400, is not completed there, and is spent', async () => {
    const browser = giveGitHubSession(gatehouseOnlyBrowser(server), server, octocatSession);
    const page = asSignInPage(await openAuthorization(browser, { server, clientId, redirectUri: APP_REDIRECT }), 'the sign-in page');
    const callback = await callbackFromGitHub(browser, await approveAtGatehouse(browser, page, 'github'));

    const crossed = asPage(await browser.navigate(new URL(callback.href.replace('/oauth/callback/github', '/oauth/callback/other'))), 'crossed');
    assert.equal(crossed.status, 400);
    assert.equal(other.completions, 0, 'the other source was never asked to complete it');
    // Failing closed: the state is gone, the genuine callback no longer works either.
    browser.jar.store(new URL(server.urls.issuer), browser.setCookies.find((c) => c.startsWith('__Host-gatehouse_upstream_'))!);
    assert.equal(asPage(await browser.navigate(callback), 'the genuine callback afterwards').status, 400);
    assert.equal(server.github.stats.codeGrants, 0, 'no GitHub code was exchanged');
  });

  it('P2 a state issued for the other source gets 400 at the GitHub callback', async () => {
    const browser = gatehouseOnlyBrowser(server);
    const page = asSignInPage(await openAuthorization(browser, { server, clientId, redirectUri: APP_REDIRECT }), 'the sign-in page');
    const approval = await approveAtGatehouse(browser, page, 'other');
    assert.equal(approval.upstreamUrl.origin, 'https://idp.invalid');
    const step = asPage(await browser.navigate(callbackUrl(server, { code: 'a-github-code', state: approval.state })), 'GitHub callback');
    assert.equal(step.status, 400);
    assert.equal(server.github.stats.codeGrants, 0);
  });
});

// =========================================================================================================

/**
 * Checklist §0.6 and the MCP-spec proxy requirements: the upstream transaction is created only after consent,
 * stored server-side under a hash, single use and ≤ 10 minutes; the consent cookie is `__Host-`, Secure,
 * HttpOnly, SameSite=Lax and short-lived.
 */
describe('attacks: the upstream transaction and the binding cookie', () => {
  let server: FederatedTestServer;
  let clientId: string;
  let octocatSession: string;

  before(async () => {
    server = await startGitHubFederated();
    clientId = String((await registerClient(server, nativeClientMetadata(APP_REDIRECT))).body['client_id']);
    octocatSession = await gitHubSession(server, 'octocat');
  });
  after(() => server?.close());

  async function approved(browser = giveGitHubSession(gatehouseOnlyBrowser(server), server, octocatSession)) {
    const page = asSignInPage(await openAuthorization(browser, { server, clientId, redirectUri: APP_REDIRECT }), 'the sign-in page');
    return { browser, approval: await approveAtGatehouse(browser, page) };
  }

  it('no transaction exists before consent; after it, one record under the hash of the state, expiring in 600 s', async () => {
    const before = (await server.store.list('UpstreamSignIn')).length;
    const browser = gatehouseOnlyBrowser(server);
    const page = asSignInPage(await openAuthorization(browser, { server, clientId, redirectUri: APP_REDIRECT }), 'the sign-in page');
    assert.equal((await server.store.list('UpstreamSignIn')).length, before, 'showing the page stored no transaction');

    const approvedAt = Date.now();
    const { state, binding } = await approveAtGatehouse(browser, page);
    const record = await server.store.get<Record<string, unknown>>('UpstreamSignIn', sha256(state));
    assert.ok(record, 'the transaction is stored under the SHA-256 of the state');
    assert.ok(record.expiresAt !== undefined, 'with an expiry');
    const lifetime = record.expiresAt - approvedAt;
    assert.ok(lifetime <= 600_000 + 1_000 && lifetime >= 600_000 - 5_000, `expires 600 s after consent (got ${lifetime} ms)`);
    assert.equal(record.consumedAt, undefined, 'not yet used');
    const stored = JSON.stringify(record.value);
    assert.ok(!stored.includes(state), 'the state itself is not stored');
    const cookieValue = binding.split(';')[0]!.split('=').slice(1).join('=');
    assert.ok(!stored.includes(cookieValue), 'the binding cookie value is not stored, only its hash');
  });

  it('a callback after the transaction expired gets 400 and exchanges no code', async () => {
    const { browser, approval } = await approved();
    const id = sha256(approval.state);
    const record = await server.store.get('UpstreamSignIn', id);
    assert.ok(record);
    // Let it run out now instead of in ten minutes.
    await server.store.set('UpstreamSignIn', id, record.value, 1);
    const callback = await callbackFromGitHub(browser, approval);
    await sleep(1_200);
    const codeGrants = server.github.stats.codeGrants;
    const step = asPage(await browser.navigate(callback), 'the late callback');
    assert.equal(step.status, 400);
    assert.equal(server.github.stats.codeGrants, codeGrants);
  });

  it('the callback removes the transaction', async () => {
    const { browser, approval } = await approved();
    const callback = await callbackFromGitHub(browser, approval);
    asRedirect(await browser.navigate(callback), 'the flow completes');
    assert.equal(await server.store.get('UpstreamSignIn', sha256(approval.state)), undefined);
  });

  it('the binding cookie is __Host-, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain, Max-Age ≤ 600, unguessable', async () => {
    const { approval } = await approved();
    const [pair, ...rest] = approval.binding.split(';').map((s) => s.trim());
    const [name, ...value] = pair!.split('=');
    assert.match(name!, /^__Host-gatehouse_upstream_[\w-]{12}_[0-9a-f]{8}$/);
    const attributes = new Map(rest.map((a) => [a.split('=')[0]!.toLowerCase(), a.split('=').slice(1).join('=')]));
    assert.ok(attributes.has('httponly'), 'HttpOnly');
    assert.ok(attributes.has('secure'), 'Secure');
    assert.equal(attributes.get('samesite')?.toLowerCase(), 'lax', 'SameSite=Lax');
    assert.equal(attributes.get('path'), '/', 'Path=/');
    assert.ok(!attributes.has('domain'), 'no Domain');
    const maxAge = Number(attributes.get('max-age'));
    assert.ok(maxAge > 0 && maxAge <= 600, `Max-Age ${attributes.get('max-age')}`);
    if (attributes.has('expires')) assert.ok(Date.parse(attributes.get('expires')!) <= Date.now() + 601_000, 'Expires within 10 minutes');
    const cookieValue = value.join('=');
    assert.ok(cookieValue.length >= 43, 'at least 256 bits');
    assert.notEqual(cookieValue, approval.state);
    assert.ok(!approval.upstreamUrl.href.includes(cookieValue), 'the cookie value never travels upstream');
  });

  it('the callback deletes the binding cookie in a way browsers accept for a __Host- cookie', async () => {
    const { browser, approval } = await approved();
    const callback = await callbackFromGitHub(browser, approval);
    const seen = browser.setCookies.length;
    asRedirect(await browser.navigate(callback), 'the flow completes');
    const name = approval.binding.split('=')[0]!;
    const deletion = browser.setCookies.slice(seen).find((c) => c.startsWith(`${name}=`));
    assert.ok(deletion, 'the callback clears the binding cookie');
    assert.ok(/max-age=0/i.test(deletion) || Date.parse(/expires=([^;]+)/i.exec(deletion)?.[1] ?? '') < Date.now(), `expired: ${deletion}`);
    assert.match(deletion, /;\s*secure/i, 'Secure (else a browser ignores it for a __Host- cookie)');
    assert.match(deletion, /;\s*path=\/(;|$)/i, 'Path=/');
    assert.ok(!browser.jar.all().some((c) => c.name === name), 'the cookie is gone from the browser');
  });
});

// =========================================================================================================

/**
 * P4, the upstream app credential (punkpeye/fastmcp PR #262): the proxy must never hand its upstream client_id
 * and secret to MCP clients. Gatehouse registers its own clients; the upstream secret appears in no response.
 */
describe('attacks: P4 the upstream credentials stay in the server', () => {
  let server: FederatedTestServer;

  before(async () => {
    server = await startGitHubFederated();
  });
  after(() => server?.close());

  it('P4 a DCR response holds neither the upstream client id nor its secret, and issues a client id of its own', async () => {
    for (const metadata of [nativeClientMetadata(APP_REDIRECT), nativeClientMetadata(APP_REDIRECT, { client_id: GITHUB_CLIENT_ID, client_secret: 'mine' })]) {
      const response = await registerClient(server, metadata);
      assert.equal(response.status, 201, JSON.stringify(response.body));
      const text = `${JSON.stringify(response.body)}\n${headerLines(response.headers)}`;
      assert.ok(!text.includes(GITHUB_CLIENT_SECRET), 'no upstream secret');
      assert.ok(!text.includes(GITHUB_CLIENT_ID), 'no upstream client id');
      assert.notEqual(response.body['client_id'], GITHUB_CLIENT_ID);
    }
  });

  it('P4 the discovery documents name neither', async () => {
    const urls = [
      `${server.urls.issuer}/.well-known/oauth-authorization-server`,
      `${server.urls.issuer}/.well-known/openid-configuration`,
      server.urls.resourceMetadata,
    ];
    for (const url of urls) {
      const response = await fetch(url);
      assert.equal(response.status, 200, url);
      const text = `${await response.text()}\n${headerLines(response.headers)}`;
      assert.ok(!text.includes(GITHUB_CLIENT_SECRET), `${url}: no upstream secret`);
      assert.ok(!text.includes(GITHUB_CLIENT_ID), `${url}: no upstream client id`);
      assert.ok(!text.includes(server.github.url), `${url}: no upstream endpoints`);
    }
  });

  it('P4 no response of a whole flow (pages, redirects, tokens, refresh) contains the upstream secret', async () => {
    const registration = await registerClient(server, nativeClientMetadata(APP_REDIRECT, { client_name: 'P4 app' }));
    const clientId = String(registration.body['client_id']);
    const browser = personBrowser(server);
    const flow = await federatedAuthorize({ server, clientId, redirectUri: APP_REDIRECT, login: 'octocat', browser });
    const tokens = await redeemCode(server, {
      client: { clientId },
      code: flow.params.get('code')!,
      redirectUri: APP_REDIRECT,
      codeVerifier: flow.codeVerifier,
    });
    assert.equal(tokens.status, 200);
    const refreshed = await refresh(server, { client: { clientId }, refreshToken: String(tokens.body['refresh_token']) });
    assert.equal(refreshed.status, 200);

    const evidence = new Evidence();
    evidence.addJsonResponse('registration', registration);
    evidence.addExchanges('browser', browser.exchanges);
    evidence.addJsonResponse('token response', tokens);
    evidence.addJsonResponse('refresh response', refreshed);
    assert.ok(browser.exchanges.length >= 5, 'the whole flow was recorded');
    assert.deepEqual(evidence.leaks([GITHUB_CLIENT_SECRET]), []);
    assert.ok(!server.logs.join('\n').includes(GITHUB_CLIENT_SECRET), 'not in the logs either');
  });

  it('P4 the upstream client id is not a client here: authorize shows an error page, the token endpoint says invalid_client', async () => {
    const browser = personBrowser(server);
    const step = asPage(
      await openAuthorization(browser, { server, clientId: GITHUB_CLIENT_ID, redirectUri: `${server.urls.issuer}/oauth/callback/github` }),
      'authorize',
    );
    assert.equal(step.status, 400);
    assert.equal(browser.exchanges.length, 1, 'answered without any redirect');

    const response = await fetch(`${server.urls.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: GITHUB_CLIENT_ID, client_secret: GITHUB_CLIENT_SECRET }),
    });
    assert.equal(((await response.json()) as { error?: string }).error, 'invalid_client');
  });
});

// =========================================================================================================

/**
 * P5, token passthrough (FastMCP PR #2109): the upstream tokens stay in the server, sealed at rest, for tools to
 * use; clients only ever get Gatehouse's own tokens, and an upstream token is no key to the MCP endpoint.
 */
describe('attacks: P5 no upstream token passthrough', () => {
  let server: FederatedTestServer;
  let clientId: string;
  const evidence = new Evidence();
  let accessToken: string;

  before(async () => {
    server = await startGitHubFederated({
      fixture: { expiringTokens: true },
      setup: (s) =>
        s.tool('github_login', { scopes: ['read:whoami'], inputSchema: z.object({}) }, async (_args, { caller }) => {
          const token = await caller!.upstream!.accessToken();
          const response = await fetch(`${server.github.apiUrl}/user`, { headers: { Authorization: `Bearer ${token}`, 'User-Agent': 'attack-test' } });
          const user = (await response.json()) as { login: string };
          return { login: user.login };
        }),
    });
    const registration = await registerClient(server, nativeClientMetadata(APP_REDIRECT, { client_name: 'P5 app' }));
    clientId = String(registration.body['client_id']);
    evidence.addJsonResponse('registration', registration);

    // A whole flow, a tool call that uses the GitHub token, a refresh, and another call: everything the client saw.
    const browser = personBrowser(server);
    const flow = await federatedAuthorize({ server, clientId, redirectUri: APP_REDIRECT, login: 'octocat', browser });
    evidence.addExchanges('browser', browser.exchanges);
    const tokens = await redeemCode(server, {
      client: { clientId },
      code: flow.params.get('code')!,
      redirectUri: APP_REDIRECT,
      codeVerifier: flow.codeVerifier,
    });
    assert.equal(tokens.status, 200);
    evidence.addJsonResponse('token response', tokens);
    accessToken = String(tokens.body['access_token']);

    const apiCalls = server.github.stats.apiCalls;
    const call = await rawToolCall(server, accessToken, 'github_login');
    assert.equal(call.status, 200, call.body);
    assert.match(call.body, /\\?"login\\?":\\?"octocat\\?"/, 'the tool used the GitHub token');
    assert.ok(server.github.stats.apiCalls > apiCalls, 'the GitHub API was called');
    evidence.addHeaders('tool call', call.headers);
    evidence.add('tool call body', call.body);

    const refreshed = await refresh(server, { client: { clientId }, refreshToken: String(tokens.body['refresh_token']) });
    assert.equal(refreshed.status, 200);
    evidence.addJsonResponse('refresh response', refreshed);
    const whoami = await rawToolCall(server, String(refreshed.body['access_token']), 'whoami');
    assert.equal(whoami.status, 200, whoami.body);
    evidence.addHeaders('whoami', whoami.headers);
    evidence.add('whoami body', whoami.body);
  });
  after(() => server?.close());

  /** The GitHub fixture's access and refresh tokens, and the app secret. */
  function upstreamSecrets(): string[] {
    const secrets = server.github.secrets();
    assert.ok(
      secrets.some((s) => s.startsWith('gho_')),
      'GitHub issued an access token',
    );
    assert.ok(
      secrets.some((s) => s.startsWith('ghr_')),
      'and a refresh token',
    );
    return secrets;
  }

  it('P5 no response the client saw contains an upstream token', () => {
    assert.ok(evidence.size > 10);
    assert.deepEqual(evidence.leaks(upstreamSecrets()), []);
  });

  it('P5 the logs contain no upstream token, nor any of Gatehouse own codes and tokens', () => {
    const logs = new Evidence();
    logs.add('logs', server.logs.join('\n'));
    assert.ok(server.logs.length > 0);
    assert.deepEqual(logs.leaks(upstreamSecrets()), []);
    assert.deepEqual(leakedSecrets(server), []);
  });

  it('P5 the raw store holds no upstream token in any plain form', async () => {
    const vaulted = await server.store.list('UpstreamTokens');
    assert.equal(vaulted.length, 1, 'the upstream tokens are stored');
    const everything = new Evidence();
    for await (const entry of server.store.entries()) everything.add(`store entry ${entry.type}`, JSON.stringify(entry));
    assert.deepEqual(everything.leaks(upstreamSecrets()), []);
    // On SQLite, the files themselves too (WAL included): what a copied disk would give away.
    if (MATRIX.store !== 'sqlite') return;
    const files = dataFiles(server.dataDir);
    assert.ok(
      files.some((f) => f.name === 'gatehouse.db'),
      `the database file (files: ${files.map((f) => f.name).join(', ')})`,
    );
    // The scan can see the store's data: the client registered above is in there, in plain text.
    assert.ok(
      files.some((f) => f.bytes.includes(clientId)),
      'the raw bytes show the stored records',
    );
    const disk = new Evidence();
    for (const file of files) disk.add(file.name, file.bytes);
    assert.deepEqual(disk.leaks(upstreamSecrets()), []);
  });

  it('P5 a GitHub access token is no key here: 401 at /mcp, refused at the token endpoint', async () => {
    for (const token of upstreamSecrets().filter((s) => s.startsWith('gho_'))) {
      const response = await callMcp(server, token);
      await response.body?.cancel();
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer /);
    }
    for (const token of upstreamSecrets().filter((s) => s.startsWith('ghr_'))) {
      const response = await refresh(server, { client: { clientId }, refreshToken: token });
      assert.equal(response.status, 400);
      assert.equal(response.body['error'], 'invalid_grant');
    }
    // The control: the token Gatehouse issued does work.
    const response = await callMcp(server, accessToken);
    await response.body?.cancel();
    assert.equal(response.status, 200);
  });
});

// =========================================================================================================

/**
 * P7 with federation: an upstream error goes back to the client's registered redirect and nowhere else; an
 * attacker-chosen redirect_uri never gets a redirect, signed in or not.
 */
describe('attacks: P7 redirects in federated flows', () => {
  let server: FederatedTestServer;
  let attacker: Sink;
  let clientId: string;

  before(async () => {
    server = await startGitHubFederated();
    attacker = await startSink();
    clientId = String((await registerClient(server, nativeClientMetadata(APP_REDIRECT, { client_name: 'P7 app' }))).body['client_id']);
  });
  after(async () => {
    await server?.close();
    await attacker?.close();
  });

  it('P7 "Cancel" at GitHub reaches the app registered redirect as access_denied, and no other place', async () => {
    const browser = personBrowser(server, attacker);
    const flow = await federatedAuthorize({ server, clientId, redirectUri: APP_REDIRECT, login: 'octocat', upstreamDecision: 'cancel', browser });
    assert.equal(`${flow.location.origin}${flow.location.pathname}`, APP_REDIRECT);
    assert.equal(flow.params.get('error'), 'access_denied');
    assert.equal(flow.params.get('code'), null);
    assert.equal(flow.params.get('state'), flow.state);
    assert.equal(flow.params.get('iss'), server.urls.issuer);
    const allowed = new Set([new URL(server.urls.issuer).origin, new URL(server.github.url).origin]);
    for (const hop of browser.hops) {
      const location = hop.headers.get('location');
      if (!location) continue;
      const target = new URL(location, hop.url);
      assert.ok(allowed.has(target.origin) || `${target.origin}${target.pathname}` === APP_REDIRECT, `a redirect to ${target.href}`);
    }
    assert.deepEqual(attacker.hits, []);
  });

  it('P7 an unregistered redirect_uri gets an error page, with no Location, before sign-in and with a session', async () => {
    const signedIn = personBrowser(server, attacker);
    await federatedAuthorize({ server, clientId, redirectUri: APP_REDIRECT, login: 'octocat', browser: signedIn });
    const upstreamBefore = server.github.stats.authorizeRequests;
    const variants = [
      attacker.url('/steal'),
      'https://evil.example/cb',
      'http://127.0.0.1:43111/callback/../steal',
      `${APP_REDIRECT}?next=${attacker.url('/steal')}`,
    ];
    for (const [who, browser] of [
      ['fresh', () => personBrowser(server, attacker)],
      ['signed in', () => signedIn],
    ] as const) {
      for (const redirectUri of variants) {
        const label = `${who}: ${redirectUri}`;
        const b = browser();
        const seen = b.exchanges.length;
        const step = asPage(await openAuthorization(b, { server, clientId, redirectUri }), label);
        assert.equal(step.status, 400, label);
        assert.equal(step.url.origin, new URL(server.urls.issuer).origin, `${label}: answered by Gatehouse`);
        assert.equal(b.exchanges.length - seen, 1, `${label}: without any redirect`);
        assert.equal(step.headers.get('location'), null, label);
      }
    }
    // An unknown client naming the sink does no better.
    const b = personBrowser(server, attacker);
    assert.equal(asPage(await openAuthorization(b, { server, clientId: 'no-such-client', redirectUri: attacker.url('/steal') }), 'unknown client').status, 400);
    assert.equal(server.github.stats.authorizeRequests, upstreamBefore, 'GitHub was never involved');
    assert.deepEqual(attacker.hits, [], 'the sink got nothing');
  });
});

// =========================================================================================================

/**
 * P8, escaping (FastMCP CVE-2025-62800): the upstream's `error` and `error_description` come from the URL, so an
 * attacker writes them. They must never come back as markup on a Gatehouse page, and every page forbids scripts
 * and framing. The same for a client_name registered through DCR.
 */
describe('attacks: P8 escaping on the callback and the sign-in pages', () => {
  let server: FederatedTestServer;
  let clientId: string;

  before(async () => {
    server = await startGitHubFederated();
    clientId = String((await registerClient(server, nativeClientMetadata(APP_REDIRECT, { client_name: 'P8 app' }))).body['client_id']);
  });
  after(() => server?.close());

  /** A sign-in approved in a fresh browser that stops at GitHub. */
  async function startedFlow(): Promise<{ browser: RecordingBrowser; approval: Approval }> {
    const browser = gatehouseOnlyBrowser(server);
    const page = asSignInPage(await openAuthorization(browser, { server, clientId, redirectUri: APP_REDIRECT }), 'the sign-in page');
    return { browser, approval: await approveAtGatehouse(browser, page) };
  }

  it('P8 an upstream error with markup, in the right browser, reaches the app as a plain error code', async () => {
    for (const [error, expected] of [
      [XSS_ERROR, 'server_error'],
      ['access_denied', 'access_denied'],
    ] as const) {
      const { browser, approval } = await startedFlow();
      const step = asRedirect(
        await browser.navigate(callbackUrl(server, { state: approval.state, error, error_description: XSS_DESCRIPTION })),
        `error=${error}`,
      );
      assert.equal(`${step.location.origin}${step.location.pathname}`, APP_REDIRECT);
      const params = paramsOf(step.location);
      assert.equal(params['error'], expected, `error=${error}`);
      assert.equal(params['code'], undefined);
      assert.ok(!(params['error_description'] ?? '').includes(XSS_ERROR), 'the attacker error code is not forwarded');
      assert.doesNotMatch(browser.exchanges.at(-1)!.headers.get('location') ?? '', /[<>"]/, 'the Location is URL-encoded');
      assertNoInjectedMarkupOnGatehouse(browser, server, `error=${error}`);
    }
  });

  it('P8 the upstream description forwarded to the app keeps to the RFC 6749 error_description characters', async () => {
    // RFC 6749 §4.1.2.1: error_description is %x20-21 / %x23-5B / %x5D-7E. The text comes from the URL (the
    // upstream, or whoever wrote the link): quotes, backslashes, non-ASCII and U+2028 must not reach the client.
    const { browser, approval } = await startedFlow();
    const description = 'quote " backslash \\ accent \u00e9 separator \u2028 end';
    const step = asRedirect(
      await browser.navigate(callbackUrl(server, { state: approval.state, error: 'temporarily_unavailable', error_description: description })),
      'callback',
    );
    const forwarded = step.location.searchParams.get('error_description') ?? '';
    assert.equal(step.location.searchParams.get('error'), 'server_error');
    assert.match(forwarded, /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/, `error_description outside the RFC 6749 character set: ${JSON.stringify(forwarded)}`);
  });

  it('P8 the same callback in a browser that did not consent: a hardened 403 page without the markup', async () => {
    const { approval } = await startedFlow();
    const other = gatehouseOnlyBrowser(server);
    const step = await other.navigate(callbackUrl(server, { state: approval.state, error: XSS_ERROR, error_description: XSS_DESCRIPTION }));
    assert.equal(asPage(step, 'wrong browser').status, 403);
    assertHardenedPage(step, 'wrong browser');
    assertNoInjectedMarkupOnGatehouse(other, server, 'wrong browser');
  });

  it('P8 the same callback with an unknown state: a hardened 400 page without the markup', async () => {
    const browser = gatehouseOnlyBrowser(server);
    const step = await browser.navigate(callbackUrl(server, { state: 'no-such-state', error: XSS_ERROR, error_description: XSS_DESCRIPTION }));
    assert.equal(asPage(step, 'unknown state').status, 400);
    assertHardenedPage(step, 'unknown state');
    assertNoInjectedMarkupOnGatehouse(browser, server, 'unknown state');
  });

  it('P8 an account-page sign-in whose callback carries markup shows it escaped, on a hardened page', async () => {
    // The account page signs people in through GitHub too; there the error is shown on Gatehouse's own page.
    const browser = gatehouseOnlyBrowser(server);
    const signIn = asPage(await browser.navigate(`${server.urls.issuer}/account`), 'the account sign-in page');
    assert.equal(signIn.form?.action.pathname, '/account/upstream');
    const upstream = asRedirect(await browser.submit(signIn, { source: 'github' }), 'to GitHub');
    const state = upstream.location.searchParams.get('state')!;
    const step = await browser.navigate(callbackUrl(server, { state, error: XSS_ERROR, error_description: XSS_DESCRIPTION }));
    const page = asPage(step, 'the account sign-in error');
    assert.equal(page.status, 400);
    assertHardenedPage(step, 'the account sign-in error');
    assertNoInjectedMarkupOnGatehouse(browser, server, 'account sign-in');
    assert.ok(page.body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the description is shown as text');
    assert.deepEqual(
      gatehouseCookies(browser, server).filter((n) => n.includes('account')),
      [],
      'and no one is signed in',
    );
  });

  it('P8 a client_name with markup is escaped on the sign-in page and on the consent page', async () => {
    const registered = await registerClient(server, nativeClientMetadata(APP_REDIRECT, { client_name: XSS_CLIENT_NAME }));
    assert.equal(registered.status, 201);
    const evilClient = String(registered.body['client_id']);
    const escaped = '&lt;img src=x onerror=alert(1)&gt;';

    const fresh = personBrowser(server);
    const signIn = asSignInPage(await openAuthorization(fresh, { server, clientId: evilClient, redirectUri: APP_REDIRECT }), 'sign-in page');
    assertHardenedPage(signIn, 'sign-in page');
    assertNoInjectedMarkup(signIn.body, 'sign-in page');
    assert.ok(signIn.body.includes(escaped), 'the name is shown as text on the sign-in page');

    // A browser with a Gatehouse session gets the consent page for this client.
    const signedIn = personBrowser(server);
    await federatedAuthorize({ server, clientId, redirectUri: APP_REDIRECT, login: 'octocat', browser: signedIn });
    const consent = asPage(await openAuthorization(signedIn, { server, clientId: evilClient, redirectUri: APP_REDIRECT }), 'consent page');
    assert.ok(isConsent(consent), `the consent page, got ${consent.url.pathname}`);
    assertHardenedPage(consent, 'consent page');
    assertNoInjectedMarkup(consent.body, 'consent page');
    assert.ok(consent.body.includes(escaped), 'the name is shown as text on the consent page');
  });
});
