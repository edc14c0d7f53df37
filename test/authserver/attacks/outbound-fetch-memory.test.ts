import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startGatehouse, type GatehouseProcess } from '../../helpers/gatehouse-process.js';
import { HostileHost } from '../../helpers/hostile-host.js';

const REDIRECT = 'https://app.test/cb';
const MiB = 1024 * 1024;
/** What each hostile answer would send if the server read it all. */
const BODY_BYTES = 8 * MiB;

/** The server process's peak resident memory so far (Linux `VmHWM`), in bytes. */
function peakResident(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(match, 'VmHWM is readable');
  return Number(match[1]) * 1024;
}

/**
 * Item 8: resident memory stays flat while unauthenticated clients send hostile documents. `gatehouse serve` runs in
 * a process of its own (with the development option, so the loopback hosts are reachable at all, and rate limits
 * high enough not to be what stops the flood). Each wave sends, all at once, `n` authorization requests naming
 * metadata documents with 8 MiB bodies and `n` token requests from `n` dynamically registered `private_key_jwt`
 * clients whose `jwks_uri` answers 8 MiB. The peak resident size after a wave of N and after a wave of 10×N must be
 * about the same: what a fetch may hold is capped, and so is how many run at once. A server that read those bodies
 * whole needs hundreds of MiB more for the larger wave (measured: +207 MiB before the guarded fetcher, +18 MiB with it).
 */
describe('attack: memory under a flood of hostile documents (gatehouse serve)', () => {
  let hostile: HostileHost;
  /** Plain http, so that loopback rather than TLS sets how fast the flood arrives. */
  let firehose: HostileHost;
  let server: GatehouseProcess;
  let wave = 0;

  before(async () => {
    [hostile, firehose] = await Promise.all([HostileHost.start(), HostileHost.start({ plain: true })]);
    server = await startGatehouse({
      args: [
        '--dangerously-allow-loopback-client-metadata',
        '--token-requests-per-minute',
        '100000',
        '--registrations-per-hour',
        '100000',
        '--authorization-requests-per-minute',
        '100000',
        '--log-level',
        'warn',
      ],
      env: { NODE_EXTRA_CA_CERTS: hostile.certPath },
    });
    firehose.on('/jwks', { kind: 'huge', totalBytes: BODY_BYTES });
  });
  after(async () => {
    await server?.stop();
    await Promise.all([hostile?.close(), firehose?.close()]);
  });

  const authorizationRequest = async () => {
    wave += 1;
    const path = `/endless-${wave}.json`;
    const url = new URL(`${server.urls.issuer}/auth`);
    const params = {
      response_type: 'code',
      client_id: hostile.on(path, { kind: 'huge', totalBytes: BODY_BYTES }),
      redirect_uri: REDIRECT,
      scope: 'read:whoami',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    const response = await fetch(url, { redirect: 'manual' });
    await response.body?.cancel();
    return response.status;
  };
  /**
   * A newly registered `private_key_jwt` client whose keys are at the firehose: one per token request, as each
   * client's key set is refreshed once at a time, and an attacker registers as many as the rate limit lets them.
   */
  const registerKeyClient = async () => {
    const response = await fetch(`${server.urls.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Key client',
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks_uri: firehose.url('/jwks'),
        grant_types: ['authorization_code'],
      }),
    });
    const body = (await response.json()) as { client_id?: string };
    assert.equal(response.status, 201, JSON.stringify(body));
    return body.client_id!;
  };
  const tokenRequest = async (keyClient: string) => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const assertion = [
      encode({ alg: 'ES256', kid: 'none' }),
      encode({ iss: keyClient, sub: keyClient, aud: server.urls.issuer, jti: randomUUID(), exp: now + 60 }),
      'AAAA',
    ].join('.');
    const response = await fetch(`${server.urls.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: 'not-a-code',
        redirect_uri: REDIRECT,
        code_verifier: 'x'.repeat(43),
        client_id: keyClient,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }).toString(),
    });
    return `${response.status} ${((await response.json()) as { error?: string }).error}`;
  };

  /** n of each hostile request at once; every one is refused with the precise error, and the host is left idle. */
  const flood = async (n: number) => {
    const keyClients: string[] = [];
    for (let i = 0; i < n; i++) keyClients.push(await registerKeyClient());
    const [pages, tokens] = await Promise.all([Promise.all(Array.from({ length: n }, authorizationRequest)), Promise.all(keyClients.map(tokenRequest))]);
    assert.deepEqual(new Set(pages), new Set([400]), 'authorization requests: an error page');
    assert.deepEqual(new Set(tokens), new Set(['401 invalid_client']), 'token requests: invalid_client');
    await Promise.all([hostile.drained(), firehose.drained()]);
  };

  it('the peak resident size after 10×N hostile fetches is within a generous bound of the peak after N', async (t) => {
    const pid = server.process.child.pid!;
    const n = 10;
    await flood(n); // warm-up: code paths, TLS contexts, the key client's cached document
    await flood(n);
    const afterN = peakResident(pid);
    await flood(10 * n);
    const after10N = peakResident(pid);
    const growth = after10N - afterN;
    t.diagnostic(`peak resident size: ${(afterN / MiB).toFixed(1)} MiB after N, ${(after10N / MiB).toFixed(1)} MiB after 10×N`);
    assert.ok(firehose.hitsOf('/jwks') >= n, `the jwks_uri was fetched (${firehose.hitsOf('/jwks')} times)`);
    assert.ok(
      growth < 64 * MiB,
      `peak resident size grew by ${(growth / MiB).toFixed(1)} MiB (${(afterN / MiB).toFixed(0)} → ${(after10N / MiB).toFixed(0)} MiB)`,
    );
  });
});
