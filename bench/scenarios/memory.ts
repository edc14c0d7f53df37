// Scenario 6: resident memory of a Gatehouse server process before and after many access-token verifications
// with many distinct tokens. The 5-minute soak and the "10,000 live grants" case are not measured yet.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestIssuer } from '../../test/helpers/issuer.js';
import { runLoad, type BenchSettings } from '../common.js';
import { whoamiRequests } from './whoami.js';

const TARGET = fileURLToPath(new URL('./memory-target.ts', import.meta.url));

interface Memory {
  rss: number;
  heapUsed: number;
}

function next<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('exit', (code) => reject(new Error(`memory target exited with ${code}`)));
  });
}

export async function measureMemory(issuer: TestIssuer, settings: BenchSettings & { verifications: number; distinctTokens: number }) {
  const child = fork(TARGET, [issuer.url, issuer.jwksUri], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const { url, path, resourceUrl } = await next<{ url: string; path: string; resourceUrl: string }>(child);
    const tokens = await Promise.all(Array.from({ length: settings.distinctTokens }, (_, i) => issuer.token(resourceUrl, { sub: `mem-${i}`, expiresIn: 3600 })));
    const requests = whoamiRequests(path, tokens);
    // A short warm-up first, so "before" is a started, warmed server rather than a cold one.
    await runLoad({ kind: 'http', url, requests: requests.slice(0, 8), connections: settings.connections, amount: 2000 });
    child.send('rss');
    const before = await next<Memory>(child);
    const load = await runLoad({ kind: 'http', url, requests, connections: settings.connections, amount: settings.verifications });
    if (load.failed > 0) throw new Error(`memory load: ${load.failed} failed requests`);
    child.send('rss');
    const after = await next<Memory>(child);
    return { before, after, verifications: load.ok, distinctTokens: settings.distinctTokens, rps: load.rps };
  } finally {
    if (child.connected) child.send('close');
    if (child.exitCode === null) await new Promise((resolve) => {
      child.once('exit', resolve);
      setTimeout(() => child.kill(), 5000).unref();
    });
  }
}
