import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One HTTP request the load process repeats (autocannon cycles through a list of them per connection). */
export interface HttpRequestSpec {
  method: 'POST' | 'GET';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** What bench/load.ts is told to do, as JSON on its stdin. */
export type LoadJob =
  | { kind: 'http'; url: string; requests: HttpRequestSpec[]; connections: number; durationSeconds?: number; amount?: number }
  | { kind: 'refresh'; tokenUrl: string; clientId: string; refreshTokens: string[]; durationSeconds: number }
  | { kind: 'codes'; tokenUrl: string; clientId: string; redirectUri: string; codes: Array<{ code: string; codeVerifier: string }>; workers: number };

/** What it prints back. `ok` counts only successful answers: throughput is ok / seconds. */
export interface LoadResult {
  ok: number;
  failed: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** For refresh jobs: the last refresh token of each chain, so the next round carries on from it. */
  refreshTokens?: string[];
  firstError?: string;
  /** CPU time the load process used in all (start-up included). */
  loadCpuSeconds?: number;
}

const LOAD = fileURLToPath(new URL('./load.ts', import.meta.url));

/** Run one job in a fresh process: the load generator must never share a CPU-bound event loop with a server. */
export function runLoad(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    // The job goes in on stdin: a list of many tokens would overflow one command-line argument.
    const child = spawn(process.execPath, ['--import', 'tsx', LOAD], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end(JSON.stringify(job));
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`load process exited with ${code}: ${err.slice(-2000)}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as LoadResult);
      } catch {
        reject(new Error(`load process printed no result: ${out.slice(-500)} ${err.slice(-500)}`));
      }
    });
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Settings shared by every scenario; `--quick` shrinks them so the whole run stays under two minutes. */
export interface BenchSettings {
  quick: boolean;
  rounds: number;
  roundSeconds: number;
  warmupSeconds: number;
  connections: number;
}

/** A target under load: where to send what, and how to stop it. */
export interface HttpTarget {
  name: string;
  url: string;
  requests: HttpRequestSpec[];
  close(): Promise<void>;
}

export interface TargetStats {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  rounds: LoadResult[];
}

/**
 * Load the targets alternately (A, B, C, A, B, C…) in short rounds and keep per-target medians, so a burst of
 * noise on this shared machine lands on every target rather than on one of them. A failed request is an error:
 * a target that answers 401 fast must not look fast.
 */
export async function alternate(targets: HttpTarget[], settings: BenchSettings, log: (line: string) => void): Promise<Map<string, TargetStats>> {
  const job = (t: HttpTarget, seconds: number): LoadJob => ({ kind: 'http', url: t.url, requests: t.requests, connections: settings.connections, durationSeconds: seconds });
  for (const t of targets) await runLoad(job(t, settings.warmupSeconds)); // JIT and caches warm, not measured
  const results = new Map<string, LoadResult[]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < settings.rounds; round++) {
    // Rotate the starting target too, so none always runs first after a pause.
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(i + round) % targets.length]!;
      const r = await runLoad(job(t, settings.roundSeconds));
      if (r.failed > 0) throw new Error(`${t.name}: ${r.failed} failed requests (${r.firstError ?? 'non-2xx'})`);
      results.get(t.name)!.push(r);
      log(`  round ${round + 1} ${t.name}: ${Math.round(r.rps)} req/s, p99 ${r.p99Ms} ms`);
    }
  }
  return new Map(
    [...results].map(([name, rounds]) => [
      name,
      { rps: median(rounds.map((r) => r.rps)), p50Ms: median(rounds.map((r) => r.p50Ms)), p99Ms: median(rounds.map((r) => r.p99Ms)), rounds },
    ]),
  );
}

/** One line of bench/results/latest.json. `target` is null for figures reported without a goal. */
export interface Comparison {
  name: string;
  ratio: number;
  target: string | null;
  met: boolean | null;
  raw: Record<string, unknown>;
}

export const round2 = (n: number) => Math.round(n * 100) / 100;
