import { fork, spawn, type ChildProcess, type Serializable } from 'node:child_process';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
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
  | {
      kind: 'refresh';
      tokenUrl: string;
      clientId: string;
      refreshTokens: string[];
      durationSeconds: number /** Stop after this many grants in all, if sooner. */;
      amount?: number;
    }
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

/** What bench/host.ts can serve. */
export type HostKind =
  | 'gatehouse-jwt'
  | 'gatehouse-noauth'
  | 'sdk-v2-peer'
  | 'mcp-handler-peer'
  | 'fastmcp-peer'
  | 'bare-node-http'
  | 'gatehouse-introspection'
  | 'protect-jwt'
  | 'sdk-noauth';
export type HostMessage = 'usage' | 'memory' | 'close';
export type HostReply =
  | { started: Pick<HttpTarget, 'name' | 'url' | 'requests'> }
  | { usage: { cpuSeconds: number; introspectionCalls: number } }
  | { memory: MemoryReading };

/** process.memoryUsage() after a GC: RSS, the JS heap (reserved and live), and memory held by JS objects outside it. */
export interface MemoryReading {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
}

/** A target served by a process of its own, which reports the CPU time it has used. */
export interface HostedTarget extends HttpTarget {
  usage(): Promise<{ cpuSeconds: number; introspectionCalls: number }>;
  /** Its memory, read after a full GC when the process was started with `exposeGc`. */
  memory(): Promise<MemoryReading>;
}

const HOST = fileURLToPath(new URL('./host.ts', import.meta.url));

/** The next IPC message from a child process of the bench; rejects if the child exits first. */
export function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`bench child process exited with ${code}`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as T);
    });
  });
}

/** Send a child process of the bench a message and wait for its answer. */
export function ask<T>(child: ChildProcess, message: Serializable): Promise<T> {
  const answer = nextMessage<T>(child);
  child.send(message);
  return answer;
}

/** Tell a child process of the bench to close (it answers 'close' by exiting), and kill it if it has not within 5 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  if (child.connected) child.send('close');
  const timer = setTimeout(() => child.kill(), 5000);
  await exited;
  clearTimeout(timer);
}

/** Start a target in its own process (bench/host.ts) with these arguments; it is stopped by close(). */
export function hostTarget(kind: HostKind, args: Record<string, unknown> = {}): Promise<HostedTarget> {
  return forkHost(HOST, [kind, JSON.stringify(args)]);
}

/**
 * Fork a host script that answers over IPC as bench/host-channel.ts does. `exposeGc` lets it collect garbage
 * before each memory reading; the targets loaded for CPU figures go without it.
 */
export async function forkHost(script: string, argv: string[], options: { exposeGc?: boolean } = {}): Promise<HostedTarget> {
  const execArgv = ['--import', 'tsx', ...(options.exposeGc ? ['--expose-gc'] : [])];
  const child = fork(script, argv, { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const first = await nextMessage<HostReply>(child);
    if (!('started' in first)) throw new Error(`bench host ${argv[0]} did not start`);
    return {
      ...first.started,
      async usage() {
        const r = await ask<HostReply>(child, 'usage' satisfies HostMessage);
        if (!('usage' in r)) throw new Error('unexpected answer from a bench host');
        return r.usage;
      },
      async memory() {
        const r = await ask<HostReply>(child, 'memory' satisfies HostMessage);
        if (!('memory' in r)) throw new Error('unexpected answer from a bench host');
        return r.memory;
      },
      close: () => stopChild(child),
    };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

/** A free loopback port, for servers that must know their port before they start. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export interface TargetStats {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** The target process's CPU time per answered request, in microseconds (hosted targets only). */
  cpuUsPerRequest?: number;
  rounds: Array<LoadResult & { cpuUsPerRequest?: number }>;
}

/**
 * Load the targets alternately (A, B, C, A, B, C…) in short rounds and keep per-target medians, so a burst of
 * noise on this shared machine lands on every target rather than on one of them. A failed request is an error:
 * a target that answers 401 fast must not look fast.
 */
export async function alternate(
  targets: Array<HttpTarget | HostedTarget>,
  settings: BenchSettings,
  log: (line: string) => void,
): Promise<Map<string, TargetStats>> {
  const job = (t: HttpTarget, seconds: number) => httpJob(t, settings, seconds);
  for (const t of targets) await runLoad(job(t, settings.warmupSeconds)); // JIT and caches warm, not measured
  const results = new Map<string, TargetStats['rounds']>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < settings.rounds; round++) {
    // Rotate the starting target too, so none always runs first after a pause.
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(i + round) % targets.length]!;
      const cpuBefore = 'usage' in t ? (await t.usage()).cpuSeconds : undefined;
      const r = succeeded(t, await runLoad(job(t, settings.roundSeconds)));
      const cpuUsPerRequest = 'usage' in t && cpuBefore !== undefined ? perRequest(cpuBefore, (await t.usage()).cpuSeconds, r) : undefined;
      results.get(t.name)!.push({ ...r, ...(cpuUsPerRequest !== undefined && { cpuUsPerRequest }) });
      log(
        `  round ${round + 1} ${t.name}: ${Math.round(r.rps)} req/s, p99 ${r.p99Ms} ms${cpuUsPerRequest !== undefined ? `, ${Math.round(cpuUsPerRequest)} µs CPU/request` : ''}`,
      );
    }
  }
  return new Map(
    [...results].map(([name, rounds]) => {
      const cpu = rounds.flatMap((r) => (r.cpuUsPerRequest === undefined ? [] : [r.cpuUsPerRequest]));
      return [
        name,
        {
          rps: median(rounds.map((r) => r.rps)),
          p50Ms: median(rounds.map((r) => r.p50Ms)),
          p99Ms: median(rounds.map((r) => r.p99Ms)),
          ...(cpu.length > 0 && { cpuUsPerRequest: round2(median(cpu)) }),
          rounds,
        },
      ];
    }),
  );
}

/** A load result with no failed request: a target that answers 401 fast must not look fast. */
function succeeded(t: HttpTarget, r: LoadResult): LoadResult {
  if (r.failed > 0) throw new Error(`${t.name}: ${r.failed} failed requests (${r.firstError ?? 'non-2xx'})`);
  return r;
}

/** A target's CPU time between two readings, in µs per request answered. */
const perRequest = (cpuSecondsBefore: number, cpuSecondsAfter: number, r: LoadResult) =>
  round2(((cpuSecondsAfter - cpuSecondsBefore) * 1e6) / Math.max(1, r.ok));

export const httpJob = (t: HttpTarget, settings: BenchSettings, seconds: number): LoadJob => ({
  kind: 'http',
  url: t.url,
  requests: t.requests,
  connections: settings.connections,
  durationSeconds: seconds,
});

/** One round of two targets loaded at the same time. */
export interface PairRound {
  a: LoadResult & { cpuUsPerRequest: number };
  b: LoadResult & { cpuUsPerRequest: number };
}

/**
 * Load two hosted targets at the same time, each from a load process of its own, round after round. Whatever the
 * machine does meanwhile (another tenant, a slower core) it does to both at once, so their ratio holds steadier
 * than that of rounds run one after the other; two identical servers measured this way show how steady.
 */
export async function together(a: HostedTarget, b: HostedTarget, settings: BenchSettings, log: (line: string) => void): Promise<PairRound[]> {
  const both = (seconds: number) => Promise.all([runLoad(httpJob(a, settings, seconds)), runLoad(httpJob(b, settings, seconds))]);
  await both(settings.warmupSeconds);
  const rounds: PairRound[] = [];
  for (let round = 0; round < settings.rounds; round++) {
    const before = await Promise.all([a.usage(), b.usage()]);
    const [ra, rb] = await both(settings.roundSeconds);
    const after = await Promise.all([a.usage(), b.usage()]);
    const pair: PairRound = {
      a: { ...succeeded(a, ra), cpuUsPerRequest: perRequest(before[0].cpuSeconds, after[0].cpuSeconds, ra) },
      b: { ...succeeded(b, rb), cpuUsPerRequest: perRequest(before[1].cpuSeconds, after[1].cpuSeconds, rb) },
    };
    rounds.push(pair);
    log(
      `  round ${round + 1} at once: ${a.name} ${Math.round(ra.rps)} req/s (${Math.round(pair.a.cpuUsPerRequest)} µs CPU/request), ${b.name} ${Math.round(rb.rps)} req/s (${Math.round(pair.b.cpuUsPerRequest)} µs)`,
    );
  }
  return rounds;
}

/**
 * `a` relative to `b`, round by round: the median of a's figure over b's in the same round. Both ran within
 * seconds of each other, so slow drifts of this shared machine cancel out of each ratio.
 */
export function pairedRatio(a: TargetStats, b: TargetStats, figure: (r: TargetStats['rounds'][number]) => number): number {
  return median(a.rounds.map((r, i) => figure(r) / figure(b.rounds[i]!)));
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
