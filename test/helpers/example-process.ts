import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startProcess, type RunningProcess } from './process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `examples/<name>/server.ts` as its own process, the way a person runs it (`npx tsx`), with only `env` on top of
 * PATH and HOME: nothing of the test's own environment leaks in.
 */
export function runExample(name: string, env: Record<string, string>): RunningProcess {
  const base: Record<string, string> = { PATH: process.env['PATH'] ?? '' };
  if (process.env['HOME']) base['HOME'] = process.env['HOME'];
  return startProcess(process.execPath, ['--import', 'tsx', `examples/${name}/server.ts`], { cwd: ROOT, env: { ...base, ...env } });
}

/** Run an example expected to stop by itself (a missing variable); its exit code and everything it printed. */
export async function runExampleToExit(name: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string; output: string }> {
  const run = runExample(name, env);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 30_000);
  // 'close' (not 'exit'): every byte of output has been read by then.
  const [code] = (await once(run.child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stderr: run.stderr(), output: run.text() };
}
