// Scenario 8: the cost of a tool catalogue. Gatehouse at the baseline commit and Gatehouse now, each with whoami
// and 0, 9 or 99 more tools, the bare SDK with the same tools and no auth, and node:http sending fixed answers,
// every server in a process of its own; `tools/call whoami` and `tools/list` loaded alternately, all in the same
// rounds, CPU per request read from each server process. Then the memory of a current server with 100 tools
// over many calls.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { TestIssuer } from '../../test/helpers/issuer.js';
import { BASELINE_COMMIT, checkoutBaseline, CURRENT_ROOT } from '../baseline.js';
import type { CatalogueHostArgs } from '../catalogue-host.js';
import type { LineChart } from '../chart.js';
import {
  alternate,
  forkHost,
  freePort,
  hostTarget,
  pairedRatio,
  round2,
  runLoad,
  type BenchSettings,
  type Comparison,
  type HostedTarget,
  type MemoryReading,
  type TargetStats,
} from '../common.js';
import { resourceUrlFor, TOKENS_PER_TARGET } from './auth-overhead.js';
import { catalogueScopes } from './catalogue-tools.js';
import { listRequest } from './catalogue-servers.js';

export const CATALOGUE_SIZES = [1, 10, 100] as const;
const METHODS = ['call', 'list'] as const;
type Method = (typeof METHODS)[number];
const LIBRARIES = ['baseline', 'now', 'sdk'] as const;
type Library = (typeof LIBRARIES)[number];
const BASELINE = BASELINE_COMMIT.slice(0, 7);
const HOST = fileURLToPath(new URL('../catalogue-host.ts', import.meta.url));

/** Targets of the issue's "fast path": CPU per request of now against the baseline, and of now against itself. */
const GOALS: Array<{ method: Method; size: number; max: number }> = [
  { method: 'call', size: 1, max: 0.5 },
  { method: 'call', size: 100, max: 0.25 },
  { method: 'list', size: 100, max: 0.33 },
];
const FLAT_MAX = 1.1;

/** One catalogue server in a process of its own (bench/catalogue-host.ts). */
export function catalogueTarget(args: CatalogueHostArgs, options: { exposeGc?: boolean } = {}): Promise<HostedTarget> {
  return forkHost(HOST, [JSON.stringify(args)], options);
}

/** JWTs for a Gatehouse catalogue server on `port`: 8 users, each allowed every tool (so lists are never filtered). */
export function catalogueTokens(issuer: TestIssuer, port: number, size: number): Promise<string[]> {
  const scope = ['read:whoami', ...catalogueScopes(size - 1)].join(' ');
  return Promise.all(Array.from({ length: TOKENS_PER_TARGET }, (_, i) => issuer.token(resourceUrlFor(port), { sub: `user-${i}`, scope, expiresIn: 3600 })));
}

/** Gatehouse from this source tree with whoami and size − 1 more tools, verifying JWTs from `issuer`. */
export async function gatehouseCatalogue(issuer: TestIssuer, name: string, sourceRoot: string, size: number, options: { exposeGc?: boolean } = {}) {
  const port = await freePort();
  const tokens = await catalogueTokens(issuer, port, size);
  return catalogueTarget({ kind: 'gatehouse', name, sourceRoot, size, issuer: { url: issuer.url, jwksUri: issuer.jwksUri }, port, tokens }, options);
}

export interface CatalogueResult {
  comparisons: Comparison[];
  chart: LineChart;
}

export async function measureCatalogue(settings: BenchSettings, log: (line: string) => void): Promise<CatalogueResult> {
  const cleanups: Array<() => Promise<void> | void> = [];
  try {
    log(`catalogue: checking out the baseline ${BASELINE} and starting its servers, the current ones and the bare SDK's`);
    const baseline = checkoutBaseline();
    cleanups.push(() => baseline.remove());
    const issuer = await TestIssuer.start();
    cleanups.push(() => issuer.close());
    const started = async (target: Promise<HostedTarget>) => {
      const t = await target;
      cleanups.push(() => t.close());
      return t;
    };
    const roots: Record<Exclude<Library, 'sdk'>, string> = { baseline: baseline.root, now: CURRENT_ROOT };
    const servers = new Map<string, HostedTarget>();
    // Started a few at a time: each compiles its sources on start-up, and the machine has two cores.
    for (const size of CATALOGUE_SIZES) {
      const [b, n, s, c] = await Promise.all([
        started(gatehouseCatalogue(issuer, serverName('baseline', size), roots.baseline, size)),
        started(gatehouseCatalogue(issuer, serverName('now', size), roots.now, size)),
        started(catalogueTarget({ kind: 'sdk', name: serverName('sdk', size), size })),
        started(catalogueTarget({ kind: 'list-ceiling', name: `node:http list ${size}`, size })),
      ]);
      servers.set(b.name, b).set(n.name, n).set(s.name, s).set(c.name, c);
    }
    const callCeiling = await started(hostTarget('bare-node-http'));
    // The control: a second, identical 1-tool server. Two processes of one program differ by themselves (memory
    // layout, JIT decisions); the flatness ratio is read against how far these two stray from each other.
    const twin = await started(gatehouseCatalogue(issuer, TWIN, roots.now, 1));

    // Each server is loaded with tools/call and with tools/list in turns of their own: two views of one process.
    const view = (server: HostedTarget, method: Method): HostedTarget => ({
      ...server,
      name: viewName(server.name, method),
      requests: method === 'call' ? server.requests : server.requests.map(listRequest),
    });
    const views: HostedTarget[] = [];
    for (const size of CATALOGUE_SIZES) {
      for (const method of METHODS) {
        for (const library of LIBRARIES) views.push(view(servers.get(serverName(library, size))!, method));
        if (method === 'list') views.push(view(servers.get(`node:http list ${size}`)!, 'list'));
      }
    }
    views.push(view(callCeiling, 'call'), view(twin, 'call'));
    const stats = await alternate(views, settings, log);
    return { comparisons: compare(stats), chart: chartOf(stats, settings) };
  } finally {
    for (const close of cleanups.reverse()) await Promise.resolve(close()).catch(() => {});
  }
}

/** The second 1-tool server, the flatness ratio's control. */
const TWIN = 'now 1 (twin)';
const serverName = (library: Library, size: number) => `${library === 'sdk' ? 'bare-sdk' : library === 'baseline' ? `baseline-${BASELINE}` : 'now'} ${size}`;
const viewName = (server: string, method: Method) => `${server} ${method === 'call' ? 'tools/call' : 'tools/list'}`;
const cpuOf = (stats: Map<string, TargetStats>, library: Library, size: number, method: Method) =>
  stats.get(viewName(serverName(library, size), method))!.cpuUsPerRequest ?? Number.NaN;
const ceilingCpu = (stats: Map<string, TargetStats>, size: number, method: Method) =>
  (method === 'call' ? stats.get(viewName('bare-node-http', 'call')) : stats.get(viewName(`node:http list ${size}`, 'list')))!.cpuUsPerRequest ?? Number.NaN;

/** CPU µs per request of one target over another's, round by round (the median of the rounds' ratios). */
function cpuRatio(stats: Map<string, TargetStats>, a: string, b: string): number {
  return pairedRatio(stats.get(a)!, stats.get(b)!, (r) => r.cpuUsPerRequest ?? Number.NaN);
}

function compare(stats: Map<string, TargetStats>): Comparison[] {
  const comparisons: Comparison[] = [];
  const figures = (name: string) => {
    const t = stats.get(name)!;
    return { cpuUsPerRequest: t.cpuUsPerRequest, rps: Math.round(t.rps), p99Ms: t.p99Ms };
  };
  for (const method of METHODS) {
    for (const size of CATALOGUE_SIZES) {
      const name = (library: Library) => viewName(serverName(library, size), method);
      const ratio = cpuRatio(stats, name('now'), name('baseline'));
      const goal = GOALS.find((g) => g.method === method && g.size === size);
      comparisons.push({
        name: `catalogue: ${method === 'call' ? 'tools/call whoami' : 'tools/list'} with ${size} tool${size === 1 ? '' : 's'}, now vs baseline ${BASELINE} (CPU per request)`,
        ratio: round2(ratio),
        target: goal ? `<= ${goal.max}` : null,
        met: goal ? ratio <= goal.max : null,
        raw: {
          now: figures(name('now')),
          baseline: figures(name('baseline')),
          bareSdk: figures(name('sdk')),
          ceilingCpuUsPerRequest: ceilingCpu(stats, size, method),
        },
      });
    }
  }
  const largest = CATALOGUE_SIZES.at(-1)!;
  for (const library of ['now', 'baseline'] as const) {
    const call = (size: number) => viewName(serverName(library, size), 'call');
    const ratio = cpuRatio(stats, call(largest), call(1));
    comparisons.push({
      name: `catalogue: tools/call whoami with ${largest} tools vs 1 tool, ${library === 'now' ? 'now' : `baseline ${BASELINE}`} (CPU per request)`,
      ratio: round2(ratio),
      target: library === 'now' ? `<= ${FLAT_MAX} (flat)` : null,
      met: library === 'now' ? ratio <= FLAT_MAX : null,
      raw: { [`tools${largest}`]: figures(call(largest)), tools1: figures(call(1)) },
    });
  }
  const twinCall = viewName(TWIN, 'call');
  const nowCall = (size: number) => viewName(serverName('now', size), 'call');
  comparisons.push(
    {
      name: `catalogue: tools/call whoami with ${largest} tools vs a second 1-tool process, now (CPU per request)`,
      ratio: round2(cpuRatio(stats, nowCall(largest), twinCall)),
      target: null,
      met: null,
      raw: { [`tools${largest}`]: figures(nowCall(largest)), twin: figures(twinCall) },
    },
    {
      name: 'catalogue: control, two identical 1-tool processes, now (CPU per request; 1.0 on a machine without noise)',
      ratio: round2(cpuRatio(stats, twinCall, nowCall(1))),
      target: null,
      met: null,
      raw: { twin: figures(twinCall), tools1: figures(nowCall(1)) },
    },
  );
  return comparisons;
}

function chartOf(stats: Map<string, TargetStats>, settings: BenchSettings): LineChart {
  const line = (library: Library, method: Method) => CATALOGUE_SIZES.map((size) => cpuOf(stats, library, size, method));
  const panel = (method: Method) => ({
    title: method === 'call' ? 'tools/call whoami' : 'tools/list',
    series: [
      { label: `Gatehouse at ${BASELINE} (baseline)`, color: '#9a9a9a', dash: '6 4', values: line('baseline', method) },
      { label: 'Gatehouse now', color: '#1f5fbf', values: line('now', method) },
      { label: 'bare SDK, no auth', color: '#e07b00', values: line('sdk', method) },
      { label: 'node:http ceiling', color: '#2e9e4f', dash: '2 3', values: CATALOGUE_SIZES.map((size) => ceilingCpu(stats, size, method)) },
    ],
  });
  const date = new Date().toISOString().slice(0, 10);
  return {
    title: 'Server CPU per request against the number of tools',
    caption: `npm run bench${settings.quick ? ' -- --quick' : ''} of ${date} (${availableParallelism()} cores, Node ${process.version}): medians of ${settings.rounds} alternating rounds of ${settings.roundSeconds} s`,
    xLabel: 'tools registered',
    yLabel: 'CPU µs per request',
    xs: [...CATALOGUE_SIZES],
    panels: [panel('call'), panel('list')],
  };
}

/**
 * RSS (after a full GC) of a current Gatehouse server with `size` tools after `first` tools/call whoami requests,
 * after `total`, and after `3 × total` (whether it has levelled off), in a process of its own with 8 users' JWTs;
 * the bare SDK with the same tools under the same calls beside it, as a reference for what the runtime and the
 * SDK do to RSS under this load. Two comparisons: the issue's (after `total` ÷ after `first`, target ≤ 1.1) and,
 * reported, after `3 × total` ÷ after `total`.
 */
export async function measureCatalogueMemory(settings: BenchSettings & { size: number; first: number; total: number }): Promise<Comparison[]> {
  const issuer = await TestIssuer.start();
  const targets: HostedTarget[] = [];
  try {
    targets.push(await gatehouseCatalogue(issuer, `now ${settings.size}`, CURRENT_ROOT, settings.size, { exposeGc: true }));
    targets.push(await catalogueTarget({ kind: 'sdk', name: `bare-sdk ${settings.size}`, size: settings.size }, { exposeGc: true }));
    const checkpoints = [settings.first, settings.total, 3 * settings.total];
    const readings = new Map<string, MemoryReading[]>(targets.map((t) => [t.name, []]));
    let done = 0;
    let rps = 0;
    for (const upTo of checkpoints) {
      for (const target of targets) {
        const r = await runLoad({ kind: 'http', url: target.url, requests: target.requests, connections: settings.connections, amount: upTo - done });
        if (r.failed > 0) throw new Error(`catalogue memory: ${target.name}: ${r.failed} failed requests (${r.firstError ?? 'non-2xx'})`);
        if (target === targets[0]) rps = r.rps;
        readings.get(target.name)!.push(await target.memory());
      }
      done = upTo;
    }
    const mb = (n: number) => round2(n / 1024 / 1024);
    const [now, sdk] = targets.map((t) => readings.get(t.name)!) as [MemoryReading[], MemoryReading[]];
    const raw = (from: number, to: number) => ({
      rssMiB: [mb(now[from]!.rss), mb(now[to]!.rss)],
      heapUsedMiB: [mb(now[from]!.heapUsed), mb(now[to]!.heapUsed)],
      bareSdk: { rssMiB: [mb(sdk[from]!.rss), mb(sdk[to]!.rss)], ratio: round2(sdk[to]!.rss / sdk[from]!.rss) },
      rps: Math.round(rps),
    });
    const count = (n: number) => n.toLocaleString('en');
    return [
      {
        name: `catalogue: RSS of a current server with ${settings.size} tools after ${count(settings.total)} tools/calls / after the first ${count(settings.first)}`,
        ratio: round2(now[1]!.rss / now[0]!.rss),
        target: `<= ${FLAT_MAX} (flat)`,
        met: now[1]!.rss / now[0]!.rss <= FLAT_MAX,
        raw: raw(0, 1),
      },
      {
        name: `catalogue: RSS of that server after ${count(3 * settings.total)} tools/calls / after ${count(settings.total)}`,
        ratio: round2(now[2]!.rss / now[1]!.rss),
        target: null,
        met: null,
        raw: raw(1, 2),
      },
    ];
  } finally {
    for (const target of targets) await target.close().catch(() => {});
    await issuer.close();
  }
}
