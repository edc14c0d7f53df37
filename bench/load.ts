// The load generator, always run as its own process (see runLoad in common.ts): one job in, one JSON line out.
import { text } from 'node:stream/consumers';
import autocannon from 'autocannon';
import type { LoadJob, LoadResult } from './common.js';

// Usage: echo '<job json>' | node --import tsx bench/load.ts   (or a JSON argument, for trying it by hand)
const job = JSON.parse(process.argv[2] ?? (await text(process.stdin))) as LoadJob;
const result = job.kind === 'http' ? await http(job) : job.kind === 'refresh' ? await refreshLoop(job) : await codeExchanges(job);
// The generator's own CPU time: near one core's worth, it (not the server) would be what limits the rate.
const { userCPUTime, systemCPUTime } = process.resourceUsage();
process.stdout.write(`${JSON.stringify({ ...result, loadCpuSeconds: (userCPUTime + systemCPUTime) / 1e6 })}\n`);

async function http(job: Extract<LoadJob, { kind: 'http' }>): Promise<LoadResult> {
  const r = await autocannon({
    url: job.url,
    connections: job.connections,
    ...(job.amount !== undefined ? { amount: job.amount } : { duration: job.durationSeconds ?? 2 }),
    requests: job.requests,
  });
  const failed = r.non2xx + r.errors + r.timeouts;
  const ok = r.requests.total - r.non2xx;
  return { ok, failed, seconds: r.duration, rps: ok / r.duration, p50Ms: r.latency.p50, p99Ms: r.latency.p99 };
}

/**
 * Refresh grants rotate the refresh token, so no request can be replayed: each worker walks its own chain,
 * one grant at a time, for the whole duration (or until `amount` grants have been sent in all).
 */
async function refreshLoop(job: Extract<LoadJob, { kind: 'refresh' }>): Promise<LoadResult> {
  const latencies: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  let sent = 0;
  const started = performance.now();
  const deadline = started + job.durationSeconds * 1000;
  const chains = [...job.refreshTokens];
  await Promise.all(
    chains.map(async (_, i) => {
      while (performance.now() < deadline && (job.amount === undefined || sent < job.amount)) {
        sent += 1;
        const t0 = performance.now();
        const response = await fetch(job.tokenUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: chains[i]!, client_id: job.clientId }).toString(),
        });
        const body = (await response.json()) as Record<string, unknown>;
        if (response.status !== 200 || typeof body['refresh_token'] !== 'string') {
          failed += 1;
          firstError ??= `${response.status} ${JSON.stringify(body)}`;
          return; // a broken chain cannot go on
        }
        chains[i] = body['refresh_token'];
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { ...summarise(latencies, failed, seconds, firstError), refreshTokens: chains };
}

/** Authorization codes are single-use: `workers` loops redeem the given codes, each once, as fast as they are answered. */
async function codeExchanges(job: Extract<LoadJob, { kind: 'codes' }>): Promise<LoadResult> {
  const latencies: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  const queue = [...job.codes];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: job.workers }, async () => {
      for (let next = queue.pop(); next; next = queue.pop()) {
        const t0 = performance.now();
        const response = await fetch(job.tokenUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code: next.code,
            code_verifier: next.codeVerifier,
            redirect_uri: job.redirectUri,
            client_id: job.clientId,
          }).toString(),
        });
        const body = (await response.json()) as Record<string, unknown>;
        if (response.status !== 200 || typeof body['access_token'] !== 'string') {
          failed += 1;
          firstError ??= `${response.status} ${JSON.stringify(body)}`;
          continue;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return summarise(latencies, failed, (performance.now() - started) / 1000, firstError);
}

function summarise(latencies: number[], failed: number, seconds: number, firstError: string | undefined): LoadResult {
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? Number.NaN) * 100) / 100;
  return { ok: latencies.length, failed, seconds, rps: latencies.length / seconds, p50Ms: pct(0.5), p99Ms: pct(0.99), ...(firstError && { firstError }) };
}
