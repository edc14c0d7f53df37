// Scenario 7: resident memory of Gatehouse server processes. A resource server before and after many verifications
// of many distinct tokens; an embedded authorization server with many live grants, then through a soak of steady
// refresh-grant load (every grant issues an access and a refresh token), sampled as it goes.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServerUrls } from '../../src/index.js';
import { obtainTokens, Browser } from '../../test/helpers/authorize.js';
import type { TestIssuer } from '../../test/helpers/issuer.js';
import { ask, nextMessage, runLoad, stopChild, type BenchSettings, type MemoryReading } from '../common.js';
import { whoamiRequests } from './whoami.js';

const TARGET = fileURLToPath(new URL('./memory-target.ts', import.meta.url));
export const MEMORY_PERSON = { email: 'memory@example.com', password: 'correct horse battery staple' };
export const MEMORY_REDIRECT = 'https://app.test/cb';

export type MemoryRequest = 'rss' | 'close' | { clients: number };

/** Run `measure` against a memory target of the given mode, and always stop the target afterwards. */
async function withTarget<T>(
  args: string[],
  measure: (child: ChildProcess, started: { url: string; path: string; urls: ServerUrls }) => Promise<T>,
): Promise<T> {
  const child = fork(TARGET, args, { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    return await measure(child, await nextMessage(child));
  } finally {
    await stopChild(child);
  }
}

/** RSS before and after `verifications` whoami calls over many distinct tokens; `noauth` sends the same calls without tokens to the same server with authentication off. */
export function measureMemory(issuer: TestIssuer, settings: BenchSettings & { verifications: number; distinctTokens: number; noauth?: boolean }) {
  return withTarget(settings.noauth ? ['noauth'] : ['resource', issuer.url, issuer.jwksUri], async (child, { url, path, urls }) => {
    const tokens = settings.noauth
      ? [undefined]
      : await Promise.all(Array.from({ length: settings.distinctTokens }, (_, i) => issuer.token(urls.resource, { sub: `mem-${i}`, expiresIn: 3600 })));
    const requests = whoamiRequests(path, tokens);
    // A short warm-up first, so "before" is a started, warmed server rather than a cold one.
    await runLoad({ kind: 'http', url, requests: requests.slice(0, 8), connections: settings.connections, amount: 2000 });
    const before = await ask<MemoryReading>(child, 'rss');
    const load = await runLoad({ kind: 'http', url, requests, connections: settings.connections, amount: settings.verifications });
    if (load.failed > 0) throw new Error(`memory load: ${load.failed} failed requests`);
    const after = await ask<MemoryReading>(child, 'rss');
    return { before, after, verifications: load.ok, distinctTokens: settings.noauth ? 0 : settings.distinctTokens, rps: load.rps };
  });
}

export interface SoakSample {
  seconds: number;
  tokensIssued: number;
  rss: number;
}

/**
 * An embedded authorization server (SQLite) gets `grants` live grants — one person consenting to as many apps,
 * each grant with its code redeemed for tokens — then refresh grants from `workers` chains, for `soakSeconds`
 * and at least until `tokens` tokens have been issued in all, with RSS read (after a GC) every `sampleSeconds`
 * and once more the moment the issued tokens reach `tokens`.
 */
export function measureAuthServerMemory(settings: {
  grants: number;
  soakSeconds: number;
  tokens: number;
  sampleSeconds: number;
  workers: number;
  log: (line: string) => void;
}) {
  return withTarget(['authserver'], async (child, { urls }) => {
    const server = { urls };
    const person = { ...MEMORY_PERSON, redirectUri: MEMORY_REDIRECT, server };
    const before = await ask<MemoryReading>(child, 'rss');
    const clientIds = await ask<string[]>(child, { clients: settings.grants });
    let tokensIssued = 0;
    const queue = [...clientIds];
    const browsers = Array.from({ length: settings.workers }, () => new Browser(server));
    // Each worker signs in once, then consents to one app after another.
    await Promise.all(
      browsers.map(async (browser) => {
        for (let clientId = queue.pop(); clientId; clientId = queue.pop()) {
          await obtainTokens({ ...person, clientId, browser });
          tokensIssued += 2;
        }
      }),
    );
    const withGrants = await ask<MemoryReading>(child, 'rss');
    settings.log(`  ${settings.grants.toLocaleString('en')} live grants: RSS ${Math.round(withGrants.rss / 2 ** 20)} MiB`);

    // The soak: one app's refresh chains, rotated steadily.
    const clientId = clientIds[0]!;
    let refreshTokens = await Promise.all(browsers.map(async (browser) => (await obtainTokens({ ...person, clientId, browser })).refreshToken));
    tokensIssued += 2 * refreshTokens.length;
    const samples: SoakSample[] = [];
    let atTokens: SoakSample | undefined;
    const started = Date.now();
    while (Date.now() - started < settings.soakSeconds * 1000 || atTokens === undefined) {
      // Each grant issues two tokens: the period ends early when it would carry the count past `tokens`.
      const grantsToTarget = atTokens === undefined ? Math.ceil((settings.tokens - tokensIssued) / 2) : undefined;
      const r = await runLoad({
        kind: 'refresh',
        tokenUrl: `${urls.issuer}/token`,
        clientId,
        refreshTokens,
        durationSeconds: settings.sampleSeconds,
        ...(grantsToTarget !== undefined && { amount: Math.max(0, grantsToTarget) }),
      });
      if (r.failed > 0) throw new Error(`soak: ${r.failed} failed grants (${r.firstError})`);
      refreshTokens = r.refreshTokens ?? refreshTokens;
      tokensIssued += 2 * r.ok;
      const { rss } = await ask<MemoryReading>(child, 'rss');
      const sample = { seconds: Math.round((Date.now() - started) / 1000), tokensIssued, rss };
      samples.push(sample);
      if (atTokens === undefined && tokensIssued >= settings.tokens) atTokens = sample;
      settings.log(`  soak ${sample.seconds} s: ${tokensIssued.toLocaleString('en')} tokens issued, RSS ${Math.round(rss / 2 ** 20)} MiB`);
    }
    if (atTokens === undefined) throw new Error('soak: the token count was never reached'); // the loop runs until it is
    return { before, withGrants, samples, atTokens, grants: settings.grants };
  });
}
