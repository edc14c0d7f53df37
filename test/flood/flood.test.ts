import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import fc from 'fast-check';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { decodeJwt, obtainTokens } from '../helpers/authorize.js';

/**
 * A bounded flood on loopback: a few thousand bad requests (bad bearer tokens at /mcp, malformed token
 * requests, unknown paths, oversized headers) with a fixed number in flight, while a legitimate MCP client
 * keeps calling whoami. Every legitimate call must succeed, its median latency during the flood must stay
 * within a generous multiple of its own median just before (a ratio in the same run, never an absolute time),
 * the flood must get no 5xx, and the server must answer promptly afterwards.
 */

/** 2000 by default to keep the suite short; FLOOD_REQUESTS=3000 (or more) for a longer run. */
const FLOOD_REQUESTS = Number(process.env['FLOOD_REQUESTS'] ?? 2000);
const IN_FLIGHT = 50;
/** The flood is paced over about this long (and cut off at three times that, whatever happens). */
const FLOOD_SECONDS = 7;
const BASELINE_CALLS = 30;
/** During the flood: median ≤ SLOWDOWN × baseline median + FLOOR_MS. */
const SLOWDOWN = 10;
const FLOOR_MS = 200;

const EMAIL = 'ada@example.com';
const REDIRECT = 'https://app.test/cb';

type FloodRequest = { kind: string; path: string; init: RequestInit };

/** The flood's request mix, drawn with fast-check from a fixed seed (reproducible, still varied). */
function floodRequests(server: EmbeddedTestServer, validToken: string): FloodRequest[] {
  const mcp = server.urls.resource;
  const jsonRpc = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
  const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const b64 = fc.stringMatching(/^[A-Za-z0-9_-]{0,60}$/);
  // Not the last character: its low bits are base64url padding, so some flips there spell the same signature.
  const flipped = fc.nat(validToken.length - 2).map((i) => validToken.slice(0, i) + (validToken[i] === 'A' ? 'B' : 'A') + validToken.slice(i + 1));
  const badToken = fc.oneof(
    b64,
    fc.tuple(b64, b64, b64).map((parts) => parts.join('.')),
    flipped,
    fc.constant(`${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${validToken.split('.')[1]}.`),
    fc.constant(validToken.split('.').slice(0, 2).join('.')),
    fc.string({ maxLength: 40 }).filter((s) => /^[\x21-\x7e]*$/.test(s)),
  );
  const badBearer = badToken.map(
    (token): FloodRequest => ({
      kind: 'bad bearer',
      path: mcp,
      init: { method: 'POST', headers: { ...mcpHeaders, authorization: `Bearer ${token}` }, body: jsonRpc },
    }),
  );
  const noCredentials = fc.constantFrom('Basic dXNlcjpwYXNz', 'Bearer', 'Negotiate x', 'Bearer a b').map(
    (authorization): FloodRequest => ({
      kind: 'wrong scheme',
      path: mcp,
      init: { method: 'POST', headers: { ...mcpHeaders, authorization }, body: jsonRpc },
    }),
  );
  const tokenPost = fc
    .tuple(
      fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'multipart/form-data; boundary=x', 'text/plain'),
      fc.oneof(
        fc.constantFrom(
          'grant_type=authorization_code&code=x',
          'grant_type=refresh_token&refresh_token=x&client_id=nobody',
          'grant_type=password&username=a&password=b',
          'grant_type=client_credentials',
          '%zz=%',
          'grant_type=authorization_code&grant_type=refresh_token',
          '{}',
        ),
        fc.string({ maxLength: 100 }),
      ),
    )
    .map(
      ([type, body]): FloodRequest => ({
        kind: 'malformed /token',
        path: `${server.urls.issuer}/token`,
        init: { method: 'POST', headers: { 'content-type': type }, body },
      }),
    );
  const unknownPath = fc
    .tuple(
      fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
      fc.constantFrom(
        '/nope',
        '/admin',
        '/.env',
        '/mcp/../admin',
        '/%2e%2e/etc/passwd',
        '/.well-known/unknown',
        '/token/unknown',
        '/interaction/does-not-exist',
        '/reg/abc',
      ),
    )
    .map(
      ([method, path]): FloodRequest => ({
        kind: 'unknown path',
        path: `${server.urls.issuer}${path}`,
        init: { method, ...(method !== 'GET' && { body: 'x' }) },
      }),
    );
  const oversized = fc.integer({ min: 20_000, max: 60_000 }).map(
    (n): FloodRequest => ({
      kind: 'oversized header',
      path: mcp,
      init: { method: 'POST', headers: { ...mcpHeaders, authorization: `Bearer ${'a'.repeat(n)}` }, body: jsonRpc },
    }),
  );
  const mix = fc.oneof(
    { weight: 5, arbitrary: badBearer },
    { weight: 1, arbitrary: noCredentials },
    { weight: 3, arbitrary: tokenPost },
    { weight: 2, arbitrary: unknownPath },
    { weight: 1, arbitrary: oversized },
  );
  return fc.sample(mix, { numRuns: FLOOD_REQUESTS, seed: 20260728 });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

describe('flood (loopback, bounded)', () => {
  let server: EmbeddedTestServer;
  let client: Client;
  let accessToken: string;
  let subject: string;

  before(async () => {
    server = await startEmbedded();
    await server.accounts.create(EMAIL, PASSWORD);
    const clientId = (await server.clients.add({ name: 'Flood test app', redirectUris: [REDIRECT] })).client_id;
    ({ accessToken } = await obtainTokens({ server, clientId, redirectUri: REDIRECT, email: EMAIL, password: PASSWORD }));
    subject = String(decodeJwt(accessToken)['sub']);
    client = new Client({ name: 'legit-client', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.urls.resource), { requestInit: { headers: { Authorization: `Bearer ${accessToken}` } } }),
    );
  });
  after(async () => {
    await client?.close();
    await server?.close();
  });

  /** One whoami call by the legitimate client: its latency in ms (throws unless it answered for the right person). */
  async function whoami(): Promise<number> {
    const started = performance.now();
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    const elapsed = performance.now() - started;
    assert.notEqual(result.isError, true, JSON.stringify(result));
    assert.equal((result.structuredContent as { subject?: string }).subject, subject);
    return elapsed;
  }

  it('keeps serving the legitimate client while bad requests pour in, with no 5xx to the flood', { timeout: 60_000 }, async () => {
    // Warm up, then the baseline.
    for (let i = 0; i < 5; i++) await whoami();
    const baseline: number[] = [];
    for (let i = 0; i < BASELINE_CALLS; i++) baseline.push(await whoami());

    const requests = floodRequests(server, accessToken);
    const statuses = new Map<string, Map<number | string, number>>();
    const record = (kind: string, outcome: number | string) => {
      const byKind = statuses.get(kind) ?? new Map<number | string, number>();
      byKind.set(outcome, (byKind.get(outcome) ?? 0) + 1);
      statuses.set(kind, byKind);
    };
    const fiveHundreds: string[] = [];
    const started = performance.now();
    const deadline = started + 3 * FLOOD_SECONDS * 1000;
    const spacing = (FLOOD_SECONDS * 1000) / FLOOD_REQUESTS;
    let next = 0;
    let done = 0;
    const latencies: Record<string, number[]> = {};

    async function worker(): Promise<void> {
      for (;;) {
        const i = next++;
        if (i >= requests.length || performance.now() > deadline) return;
        const due = started + i * spacing;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const { kind, path, init } = requests[i]!;
        const sent = performance.now();
        try {
          const response = await fetch(path, { ...init, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
          await response.arrayBuffer();
          record(kind, response.status);
          if (response.status >= 500) fiveHundreds.push(`${kind} ${init.method} ${path} → ${response.status}`);
        } catch (error) {
          record(
            kind,
            `network error: ${(error as Error).cause ? String((error as Error & { cause: Error }).cause.message ?? (error as Error).cause) : (error as Error).message}`,
          );
        }
        latencies[kind] ??= [];
        latencies[kind].push(performance.now() - sent);
        done++;
      }
    }

    let flooding = true;
    const workers = Promise.all(Array.from({ length: IN_FLIGHT }, worker)).finally(() => (flooding = false));
    const during: number[] = [];
    // The legitimate client calls about twenty times a second: busy, yet inside the default per-user limit of
    // 600 tool calls a minute over the whole test (warm-up, baseline, flood and after).
    while (flooding) {
      during.push(await whoami());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await workers;
    const floodSeconds = (performance.now() - started) / 1000;

    const after: number[] = [];
    for (let i = 0; i < BASELINE_CALLS; i++) after.push(await whoami());

    const summary = Object.fromEntries([...statuses].map(([kind, byStatus]) => [kind, Object.fromEntries(byStatus)]));
    const floodMedians = Object.fromEntries(Object.entries(latencies).map(([kind, values]) => [kind, Math.round(median(values))]));
    const report = `baseline median ${median(baseline).toFixed(1)} ms, during ${median(during).toFixed(1)} ms (${during.length} calls), after ${median(after).toFixed(1)} ms; ${done} flood requests in ${floodSeconds.toFixed(1)} s, statuses ${JSON.stringify(summary)}, median ms ${JSON.stringify(floodMedians)}`;
    console.log(`# ${report}`);

    assert.equal(done, FLOOD_REQUESTS, `the whole flood was sent before the cut-off (${report})`);
    assert.deepEqual(fiveHundreds, [], report);
    // Connection-level refusals are expected only for heads over the server's limit.
    for (const [kind, byStatus] of statuses) {
      const networkErrors = [...byStatus.keys()].filter((k) => typeof k === 'string');
      if (kind !== 'oversized header') assert.deepEqual(networkErrors, [], `${kind}: ${report}`);
    }
    for (const status of statuses.get('bad bearer')?.keys() ?? []) assert.ok(status === 401 || status === 400, `bad bearer got ${status}: ${report}`);
    for (const status of statuses.get('oversized header')?.keys() ?? [])
      assert.ok(status === 431 || typeof status === 'string', `oversized header got ${status}: ${report}`);
    assert.ok(during.length >= 5, `the legitimate client got a few calls in during the flood (${report})`);
    const limit = SLOWDOWN * median(baseline) + FLOOR_MS;
    assert.ok(median(during) <= limit, `median during the flood ${median(during).toFixed(1)} ms > ${limit.toFixed(1)} ms (${report})`);
    assert.ok(median(after) <= limit, `median after the flood ${median(after).toFixed(1)} ms > ${limit.toFixed(1)} ms (${report})`);

    // And the rest of the server still answers: discovery, the token endpoint's error path, a bad token.
    const metadata = await fetch(server.urls.resourceMetadata);
    assert.equal(metadata.status, 200);
    assert.equal(((await metadata.json()) as { resource?: string }).resource, server.urls.resource);
    const token = await fetch(`${server.urls.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=authorization_code&code=x&client_id=nobody',
    });
    // 429 is the token endpoint's per-address limit doing its job after the flood's /token posts.
    assert.ok([400, 401, 429].includes(token.status), `token endpoint: ${token.status}`);
    if (token.status === 429) assert.ok(Number(token.headers.get('retry-after')) > 0, 'Retry-After on 429');
    await token.body?.cancel();
    const bad = await fetch(server.urls.resource, {
      method: 'POST',
      headers: { authorization: 'Bearer not.a.token', 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(bad.status, 401);
    await bad.body?.cancel();
  });
});
