// npm run bench [-- --quick] [-- --only protect,…]: start the targets, load them alternately from a separate
// process (and the auth overhead pair at once as well, with a control pair), take medians, write
// bench/results/latest.json and print a table. Ratios are the result; absolute figures are only reported.
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { TestIssuer } from '../test/helpers/issuer.js';
import {
  alternate,
  freePort,
  hostTarget,
  httpJob,
  median,
  pairedRatio,
  round2,
  runLoad,
  together,
  type BenchSettings,
  type Comparison,
  type HostedTarget,
  type HostKind,
  type LoadResult,
  type PairRound,
  type TargetStats,
} from './common.js';
import { resourceUrlFor, TOKENS_PER_TARGET } from './scenarios/auth-overhead.js';
import { loginsPerSecond, redisAvailable, startAuthServerTarget, type AuthServerTarget } from './scenarios/authserver.js';
import { CACHE_SECONDS } from './scenarios/introspection.js';
import { measureCatalogue, measureCatalogueMemory } from './scenarios/catalogue.js';
import { measureAuthServerMemory, measureMemory } from './scenarios/memory.js';
import { lineChartSvg } from './chart.js';

const quick = process.argv.includes('--quick');
/** What `--only` can select: scenarios 1–4 share their rounds, so they go together. */
const SCENARIOS = ['endpoint', 'protect', 'authserver', 'memory', 'catalogue'] as const;
const only = selectedScenarios();
const runs = (scenario: (typeof SCENARIOS)[number]) => only === undefined || only.includes(scenario);
const settings: BenchSettings = quick
  ? { quick, rounds: 2, roundSeconds: 1, warmupSeconds: 0.5, connections: 10 }
  : { quick, rounds: 7, roundSeconds: 5, warmupSeconds: 3, connections: 10 };
const GRANT_WORKERS = 8;
const CODES_PER_ROUND = quick ? 100 : 600; // all redeemed well inside the code lifetime (60 s)
const HYDRA_GRANTS_PER_SECOND = 500; // Ory Hydra's published 513 client-credential grants/s on 2 vCPU, rounded
const KEYCLOAK_LOGINS_PER_CORE = 15; // Keycloak's published password logins/s per vCPU
const log = (line: string) => process.stderr.write(`${line}\n`);
const CHART = fileURLToPath(new URL('./results/cpu-per-request.svg', import.meta.url));
const started = Date.now();
const comparisons: Comparison[] = [];
const cleanups: Array<() => Promise<void>> = [];

try {
  if (runs('endpoint')) {
    // Scenarios 1–4: every HTTP target up at once, each in a process of its own, loaded in turn, so all the ratios
    // come from the same rounds and no server shares a heap or process-wide hooks with another.
    log('MCP endpoint: starting targets');
    const issuer = await TestIssuer.start();
    cleanups.push(() => issuer.close());
    // Tokens for the Gatehouse JWT target's resource (the port fixes it); the peers accept the same audience.
    const port = await freePort();
    const resourceUrl = resourceUrlFor(port);
    const tokens = await Promise.all(Array.from({ length: TOKENS_PER_TARGET }, (_, i) => issuer.token(resourceUrl, { sub: `user-${i}`, expiresIn: 3600 })));
    const hostArgs = { issuer: { url: issuer.url, jwksUri: issuer.jwksUri }, resourceUrl, port, tokens, distinctTokens: tokens.length };
    const host = async (kind: HostKind) => {
      const target = await hostTarget(kind, hostArgs);
      cleanups.push(() => target.close());
      return target;
    };
    const jwtTarget = await host('gatehouse-jwt');
    const noAuthTarget = await host('gatehouse-noauth');
    // Peers: same whoami tool, same tokens (same audience), same stateless 2025-11-25 POST, each on loopback.
    const peers = [
      { target: await host('sdk-v2-peer'), label: 'SDK v2 + requireBearerAuth + jose' },
      { target: await host('mcp-handler-peer'), label: 'mcp-handler + withMcpAuth + jose' },
      { target: await host('fastmcp-peer'), label: 'fastmcp (stateless) + authenticate + jose' },
    ];
    const ceiling = await host('bare-node-http');
    const intro = await host('gatehouse-introspection');
    const targets: HostedTarget[] = [jwtTarget, noAuthTarget, ...peers.map((p) => p.target), ceiling, intro];
    const introCallsBefore = (await intro.usage()).introspectionCalls; // the start-up check made one
    const introStarted = Date.now();
    const stats = await alternate(targets, settings, log);
    const introSeconds = (Date.now() - introStarted) / 1000;
    const s = (name: string) => stats.get(name)!;
    const gh = s('gatehouse-jwt');
    const figures = (name: string) => loadFigures(s(name));
    const throughput = (a: string, b: string) => pairedRatio(s(a), s(b), (r) => r.rps);

    const overhead = throughput('gatehouse-jwt', 'gatehouse-noauth');
    comparisons.push({
      name: 'auth overhead: JWT vs no auth (throughput)',
      ratio: round2(overhead),
      target: '>= 0.95',
      met: overhead >= 0.95,
      raw: { jwt: figures('gatehouse-jwt'), noAuth: figures('gatehouse-noauth'), p99AddedMs: round2(gh.p99Ms - s('gatehouse-noauth').p99Ms) },
    });
    // Scenario 1 again with both servers loaded at the same time, and as a control the JWT server against a twin of
    // itself (its own port, audience and tokens): how far a ratio of two identical servers strays is the noise.
    const twinPort = await freePort();
    const twinTokens = await Promise.all(
      Array.from({ length: TOKENS_PER_TARGET }, (_, i) => issuer.token(resourceUrlFor(twinPort), { sub: `user-${i}`, expiresIn: 3600 })),
    );
    const twin = await hostTarget('gatehouse-jwt', { ...hostArgs, port: twinPort, resourceUrl: resourceUrlFor(twinPort), tokens: twinTokens });
    cleanups.push(() => twin.close());
    // The twin starts cold: it is first given as much load as the JWT server has had, so both are equally warm.
    await runLoad(httpJob(twin, settings, settings.warmupSeconds + settings.rounds * settings.roundSeconds));
    log('MCP endpoint: JWT and no auth loaded at once, then the JWT server and its twin');
    const atOnce = await together(jwtTarget, noAuthTarget, settings, log);
    const control = await together(jwtTarget, twin, settings, log);
    // Loaded at once, both servers share the cores with two load generators and neither is held to its own
    // ceiling, so their throughputs move together; what each spends per request shows the difference. Inverted, a
    // ratio of CPU per request is the ratio of throughputs each would reach alone on a core of its own.
    const overheadAtOnce = cpuBoundRatio(atOnce);
    comparisons.push({
      name: 'auth overhead, both loaded at once: JWT vs no auth (CPU-bound throughput: no-auth ÷ JWT CPU per request)',
      ratio: round2(overheadAtOnce),
      target: '>= 0.95',
      met: overheadAtOnce >= 0.95,
      raw: {
        jwt: pairFigures(atOnce, 'a'),
        noAuth: pairFigures(atOnce, 'b'),
        roundRatios: ratioRange(atOnce),
        throughputRatio: round2(throughputRatio(atOnce)),
      },
    });
    comparisons.push({
      name: 'control: the JWT server vs a twin of itself, loaded at once the same way (1.0 is no noise)',
      ratio: round2(cpuBoundRatio(control)),
      target: null,
      met: null,
      raw: {
        jwt: pairFigures(control, 'a'),
        twin: pairFigures(control, 'b'),
        roundRatios: ratioRange(control),
        throughputRatio: round2(throughputRatio(control)),
      },
    });
    for (const { target, label } of peers) {
      const peer = s(target.name);
      const peerRatio = throughput('gatehouse-jwt', target.name);
      comparisons.push({
        name: `vs ${label} (throughput)`,
        ratio: round2(peerRatio),
        target: '>= 1.0',
        met: peerRatio >= 1,
        raw: { gatehouse: figures('gatehouse-jwt'), peer: figures(target.name) },
      });
      const p99Ratio = pairedRatio(gh, peer, (r) => r.p99Ms);
      comparisons.push({
        name: `vs ${label} (p99, Gatehouse/peer)`,
        ratio: round2(p99Ratio),
        target: '<= 1.0',
        met: p99Ratio <= 1,
        raw: { gatehouseP99Ms: gh.p99Ms, peerP99Ms: peer.p99Ms },
      });
    }
    comparisons.push({
      name: 'share of the bare node:http ceiling (throughput)',
      ratio: round2(throughput('gatehouse-jwt', 'bare-node-http')),
      target: null,
      met: null,
      raw: { gatehouse: figures('gatehouse-jwt'), ceiling: figures('bare-node-http') },
    });
    const introRatio = throughput('gatehouse-introspection', 'gatehouse-jwt');
    comparisons.push({
      name: 'introspection (cached) vs JWT (throughput)',
      ratio: round2(introRatio),
      target: '>= 0.9',
      met: introRatio >= 0.9,
      raw: { introspection: figures('gatehouse-introspection'), jwt: figures('gatehouse-jwt') },
    });
    // Every request sent to the introspection target, warm-up included, against the calls its server saw.
    const introRequests = s('gatehouse-introspection').rounds.reduce((n, r) => n + r.ok, 0);
    const introCalls = (await intro.usage()).introspectionCalls - introCallsBefore;
    const allowed = tokens.length * Math.ceil(introSeconds / CACHE_SECONDS);
    comparisons.push({
      name: 'introspection calls per 10,000 requests (calls / allowed)',
      ratio: round2(introCalls / allowed),
      target: '<= 1.0 (one call per distinct token per cache period)',
      met: introCalls <= allowed,
      raw: {
        callsPer10k: round2((introCalls / Math.max(1, introRequests)) * 10_000),
        calls: introCalls,
        measuredRequests: introRequests,
        distinctTokens: tokens.length,
        cacheSeconds: CACHE_SECONDS,
        elapsedSeconds: round2(introSeconds),
        note: 'calls include the warm-up, requests do not: callsPer10k is an upper bound',
      },
    });
    for (const close of cleanups.splice(0).reverse()) await close();
  }

  // Scenario 5: an SDK server wrapped by protect() against the very same server on the bare SDK without auth,
  // alternately round by round; the wrapped one verifies JWTs (8 users, its own audience), the bare one has no auth.
  if (runs('protect')) {
    log('protect(): starting the wrapped SDK server and the bare one');
    const issuer = await TestIssuer.start();
    cleanups.push(() => issuer.close());
    const port = await freePort();
    const tokens = await Promise.all(
      Array.from({ length: TOKENS_PER_TARGET }, (_, i) => issuer.token(resourceUrlFor(port), { sub: `user-${i}`, expiresIn: 3600 })),
    );
    const wrapped = await hostTarget('protect-jwt', { issuer: { url: issuer.url, jwksUri: issuer.jwksUri }, port, tokens });
    cleanups.push(() => wrapped.close());
    const bare = await hostTarget('sdk-noauth');
    cleanups.push(() => bare.close());
    const stats = await alternate([wrapped, bare], settings, log);
    const ratio = pairedRatio(stats.get(wrapped.name)!, stats.get(bare.name)!, (r) => r.rps);
    comparisons.push({
      name: 'protect() vs bare SDK without auth (throughput)',
      ratio: round2(ratio),
      target: '>= 1.0',
      met: ratio >= 1,
      raw: { protect: loadFigures(stats.get(wrapped.name)!), bareSdk: loadFigures(stats.get(bare.name)!) },
    });
    for (const close of cleanups.splice(0).reverse()) await close();
  }

  // Scenario 6: refresh grants (custom loop in the load process: refresh tokens rotate), code exchanges (codes
  // minted between rounds by real authorizations, then redeemed all at once) and password logins.
  if (runs('authserver')) {
    log('authorization server: refresh grants and code exchanges');
    const authTargets: AuthServerTarget[] = [await startAuthServerTarget('sqlite', GRANT_WORKERS)];
    if (await redisAvailable()) authTargets.push(await startAuthServerTarget('redis', GRANT_WORKERS));
    else log('  redis at 127.0.0.1:6379 not reachable: Redis grants skipped');
    for (const t of authTargets) cleanups.push(() => t.close());
    const grantRounds = new Map<string, LoadResult[]>(authTargets.map((t) => [t.name, []]));
    const exchangeRounds = new Map<string, LoadResult[]>(authTargets.map((t) => [t.name, []]));
    for (let round = 0; round < settings.rounds; round++) {
      for (const t of round % 2 ? [...authTargets].reverse() : authTargets) {
        const r = await runLoad({
          kind: 'refresh',
          tokenUrl: t.tokenUrl,
          clientId: t.clientId,
          refreshTokens: t.refreshTokens,
          durationSeconds: settings.roundSeconds,
        });
        if (r.failed > 0) throw new Error(`${t.name}: ${r.failed} failed grants (${r.firstError})`);
        t.refreshTokens = r.refreshTokens ?? t.refreshTokens;
        grantRounds.get(t.name)!.push(r);
        const codes = await t.mintCodes(CODES_PER_ROUND);
        const x = await runLoad({ kind: 'codes', tokenUrl: t.tokenUrl, clientId: t.clientId, redirectUri: t.redirectUri, codes, workers: GRANT_WORKERS });
        if (x.failed > 0) throw new Error(`${t.name}: ${x.failed} failed code exchanges (${x.firstError})`);
        exchangeRounds.get(t.name)!.push(x);
        log(
          `  round ${round + 1} ${t.name}: ${Math.round(r.rps)} refresh grants/s (p99 ${r.p99Ms} ms), ${Math.round(x.rps)} code exchanges/s (p99 ${x.p99Ms} ms)`,
        );
      }
    }
    for (const t of authTargets) {
      for (const [what, rounds] of [
        ['refresh grants', grantRounds],
        ['code exchanges', exchangeRounds],
      ] as const) {
        const perSecond = median(rounds.get(t.name)!.map((r) => r.rps));
        comparisons.push({
          name: `${what}/s, ${t.name} (vs 500/s anchor)`,
          ratio: round2(perSecond / HYDRA_GRANTS_PER_SECOND),
          target: what === 'refresh grants' ? '>= 1.0' : null,
          met: what === 'refresh grants' ? perSecond >= HYDRA_GRANTS_PER_SECOND : null,
          raw: {
            perSecond: Math.round(perSecond),
            p99Ms: median(rounds.get(t.name)!.map((r) => r.p99Ms)),
            workers: GRANT_WORKERS,
            ...(what === 'code exchanges' && { codesPerRound: CODES_PER_ROUND }),
            anchor: "Ory Hydra's published 513 client-credential grants/s on 2 vCPU (another machine: not side by side)",
          },
        });
      }
    }
    for (const close of cleanups.splice(0).reverse()) await close();

    log('authorization server: password logins on one core');
    const logins = await loginsPerSecond(quick ? 1 : 10);
    comparisons.push({
      name: 'password logins/s on one core (vs Keycloak 15/s per vCPU)',
      ratio: round2(logins.perSecond / KEYCLOAK_LOGINS_PER_CORE),
      target: '>= 1.0',
      met: logins.perSecond >= KEYCLOAK_LOGINS_PER_CORE,
      raw: {
        ...logins,
        perSecond: round2(logins.perSecond),
        argon2id: '19 MiB, t=2, p=1',
        anchor: "Keycloak's published figure (another machine: not side by side)",
      },
    });
  }

  // Scenario 7: memory, each server in a process of its own.
  if (runs('memory')) {
    log('memory: resource server');
    const memIssuer = await TestIssuer.start();
    cleanups.push(() => memIssuer.close());
    const memSettings = { ...settings, verifications: quick ? 4_000 : 100_000, distinctTokens: quick ? 200 : 1000 };
    const mem = await measureMemory(memIssuer, memSettings);
    const memNoAuth = await measureMemory(memIssuer, { ...memSettings, noauth: true });
    const mb = (n: number) => round2(n / 1024 / 1024);
    const figuresOf = (m: typeof mem) => ({
      rssBeforeMiB: mb(m.before.rss),
      rssAfterMiB: mb(m.after.rss),
      heapUsedAfterMiB: mb(m.after.heapUsed),
      heapTotalAfterMiB: mb(m.after.heapTotal),
      externalAfterMiB: mb(m.after.external),
    });
    comparisons.push({
      name: `RSS after ${mem.verifications.toLocaleString('en')} verifications / before`,
      ratio: round2(mem.after.rss / mem.before.rss),
      target: null,
      met: null,
      raw: { ...figuresOf(mem), heapUsedBeforeMiB: mb(mem.before.heapUsed), distinctTokens: mem.distinctTokens },
    });
    // The same server and calls with auth off, in a process of its own: how much of the growth is the auth's.
    const growth = (m: typeof mem) => Math.max(1, m.after.rss - m.before.rss);
    comparisons.push({
      name: 'RSS growth under that load, JWT vs no auth',
      ratio: round2(growth(mem) / growth(memNoAuth)),
      target: '<= 1.25 (growth is noisy)',
      met: growth(mem) / growth(memNoAuth) <= 1.25,
      raw: { jwtGrowthMiB: mb(growth(mem)), noAuthGrowthMiB: mb(growth(memNoAuth)), noAuth: figuresOf(memNoAuth) },
    });
    for (const close of cleanups.splice(0).reverse()) await close();

    log('memory: authorization server, live grants and soak');
    const tokensTarget = quick ? 5_000 : 100_000;
    const as = await measureAuthServerMemory({
      grants: quick ? 100 : 10_000,
      soakSeconds: quick ? 4 : 300,
      tokens: tokensTarget,
      sampleSeconds: quick ? 2 : 30,
      workers: GRANT_WORKERS,
      log,
    });
    const first = as.samples[0]!;
    const last = as.samples.at(-1)!;
    comparisons.push({
      name: `RSS with ${as.grants.toLocaleString('en')} live grants / started server`,
      ratio: round2(as.withGrants.rss / as.before.rss),
      target: null,
      met: null,
      raw: {
        rssStartedMiB: mb(as.before.rss),
        rssWithGrantsMiB: mb(as.withGrants.rss),
        heapStartedMiB: mb(as.before.heapUsed),
        heapWithGrantsMiB: mb(as.withGrants.heapUsed),
        externalWithGrantsMiB: mb(as.withGrants.external),
        store: 'sqlite',
      },
    });
    // Read the moment that many tokens had been issued (the soak period that reaches the count ends there).
    const atTarget = as.atTokens;
    comparisons.push({
      name: `RSS after ${tokensTarget.toLocaleString('en')} issued tokens / started server`,
      ratio: round2(atTarget.rss / as.before.rss),
      target: null,
      met: null,
      raw: {
        rssStartedMiB: mb(as.before.rss),
        rssMiB: mb(atTarget.rss),
        tokensIssued: atTarget.tokensIssued,
        atSecondOfSoak: atTarget.seconds,
        liveGrants: as.grants,
        store: 'sqlite',
      },
    });
    comparisons.push({
      name: `soak: RSS after ${last.seconds} s of refresh grants (${last.tokensIssued.toLocaleString('en')} tokens issued) / after the first ${first.seconds} s`,
      ratio: round2(last.rss / first.rss),
      target: '<= 1.1 (flat)',
      met: last.rss / first.rss <= 1.1,
      raw: {
        rssFirstMiB: mb(first.rss),
        rssLastMiB: mb(last.rss),
        rssMaxMiB: mb(Math.max(...as.samples.map((x) => x.rss))),
        tokensIssued: last.tokensIssued,
        samples: as.samples.length,
      },
    });
  }

  // Scenario 8: CPU per request against the number of tools, the baseline commit against this tree (each server in
  // a process of its own, all in the same rounds), with the chart; then the memory of a current server with 100
  // tools under many calls.
  if (runs('catalogue')) {
    const catalogue = await measureCatalogue(settings, log);
    comparisons.push(...catalogue.comparisons);
    writeFileSync(CHART, lineChartSvg(catalogue.chart));
    log(`catalogue: chart written to ${CHART}`);
    log('catalogue: memory of a current server with 100 tools');
    comparisons.push(...(await measureCatalogueMemory({ ...settings, size: 100, first: quick ? 1_000 : 10_000, total: quick ? 10_000 : 100_000 })));
  }
} finally {
  for (const close of cleanups.reverse()) await close().catch(() => {});
}

const results = {
  date: new Date().toISOString(),
  quick,
  machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` },
  settings: { ...settings, scenarios: only ?? 'all', note: 'targets alternated in rounds; figures are per-target medians' },
  seconds: Math.round((Date.now() - started) / 1000),
  comparisons,
};
writeFileSync(fileURLToPath(new URL('./results/latest.json', import.meta.url)), `${JSON.stringify(results, null, 2)}\n`);

/** The scenarios named by `--only a,b` (all of them without it); an unknown name stops the run before it starts. */
function selectedScenarios(): string[] | undefined {
  const at = process.argv.indexOf('--only');
  if (at === -1) return undefined;
  const names = (process.argv[at + 1] ?? '').split(',').filter(Boolean);
  if (names.length === 0 || names.some((n) => !(SCENARIOS as readonly string[]).includes(n))) {
    throw new Error(`--only takes one or more of ${SCENARIOS.join(', ')}, comma-separated`);
  }
  return names;
}

/** A target's medians for the table and latest.json. */
function loadFigures(t: TargetStats) {
  return { rps: Math.round(t.rps), p50Ms: t.p50Ms, p99Ms: t.p99Ms, cpuUsPerRequest: t.cpuUsPerRequest };
}

/** For a pair loaded at once, b's CPU per request over a's, round by round: a's throughput relative to b's, were each CPU-bound. */
function cpuRatios(rounds: PairRound[]): number[] {
  return rounds.map((r) => r.b.cpuUsPerRequest / r.a.cpuUsPerRequest);
}

function cpuBoundRatio(rounds: PairRound[]): number {
  return median(cpuRatios(rounds));
}

function throughputRatio(rounds: PairRound[]): number {
  return median(rounds.map((r) => r.a.rps / r.b.rps));
}

function ratioRange(rounds: PairRound[]) {
  const ratios = cpuRatios(rounds);
  return { min: round2(Math.min(...ratios)), max: round2(Math.max(...ratios)) };
}

function pairFigures(rounds: PairRound[], side: 'a' | 'b') {
  const of = (figure: (r: PairRound['a']) => number) => median(rounds.map((r) => figure(r[side])));
  return { rps: Math.round(of((r) => r.rps)), p99Ms: of((r) => r.p99Ms), cpuUsPerRequest: round2(of((r) => r.cpuUsPerRequest)) };
}

const cell = (v: unknown) => (v === null ? '—' : String(v));
const lines = [
  `Gatehouse bench ${quick ? '(quick) ' : ''}${only ? `(${only.join(', ')}) ` : ''}— ${results.date.slice(0, 10)}, ${results.machine.cores} cores, Node ${process.version}, ${results.seconds} s`,
  '',
  '| comparison | ratio | target | met | figures |',
  '| --- | --- | --- | --- | --- |',
  ...comparisons.map((c) => `| ${c.name} | ${c.ratio} | ${cell(c.target)} | ${c.met === null ? 'reported' : c.met ? 'yes' : 'no'} | ${summary(c.raw)} |`),
];
process.stdout.write(`${lines.join('\n')}\n`);

/** The raw figures in one table cell: numbers only, nested one level. */
function summary(raw: Record<string, unknown>): string {
  return Object.entries(raw)
    .filter(([, v]) => typeof v === 'number' || (typeof v === 'object' && v !== null))
    .map(([k, v]) =>
      typeof v === 'number'
        ? `${k} ${v}`
        : `${k}: ${Object.entries(v as object)
            .map(([a, b]) => `${a} ${b}`)
            .join(', ')}`,
    )
    .join('; ');
}
