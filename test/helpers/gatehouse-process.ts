import { noteDataDir, noteLogs } from './leak-record.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, freePort } from './cli.js';
import { startProcess, within, type RunningProcess } from './process.js';
import { serverUrls, type ServerUrls } from '../../src/resource/urls.js';

/** The environment the built CLI runs in: PATH, and whatever the test adds (never the test runner's own). */
function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '', ...extra };
}

/** Run a one-shot `gatehouse …` command to completion; fail with its output if it exits non-zero. */
export async function gatehouseCommand(args: readonly string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<string> {
  const run = startProcess(process.execPath, [BIN, ...args], { env: cliEnv(options.env) });
  run.child.stdin.end(options.stdin ?? '');
  // A one-shot command that never exits must fail the test with its output, not hang it.
  const code = await within(run.exited, 60_000, `gatehouse ${args.join(' ')}`).catch(async (error: Error) => {
    await run.stop();
    throw new Error(`${error.message}\nstdout:${run.stdout()}\nstderr:${run.stderr()}`);
  });
  if (code !== 0) throw new Error(`gatehouse ${args.join(' ')} exited ${code}\nstdout:${run.stdout()}\nstderr:${run.stderr()}`);
  return run.stdout();
}

/** `gatehouse users add <email> --password-stdin`, the way an operator creates an account. */
export async function addUser(dataDir: string, email: string, password: string): Promise<void> {
  await gatehouseCommand(['users', 'add', email, '--password-stdin', '--data-dir', dataDir], { stdin: `${password}\n` });
}

export interface GatehouseProcess {
  process: RunningProcess;
  port: number;
  dataDir: string;
  urls: ServerUrls;
  stop(): Promise<number | null>;
}

/**
 * `gatehouse serve` (embedded mode, the default) as a real child process on a free loopback port,
 * resolved once it prints where it listens.
 */
export async function startGatehouse(
  options: { dataDir?: string; args?: readonly string[]; env?: Record<string, string>; port?: number } = {},
): Promise<GatehouseProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'gatehouse-process-'));
  const port = options.port ?? (await freePort());
  const serve = startProcess(process.execPath, [BIN, 'serve', '--port', String(port), '--data-dir', dataDir, ...(options.args ?? [])], {
    env: cliEnv(options.env),
  });
  noteDataDir(dataDir);
  noteLogs(() => `${serve.stdout()}\n${serve.stderr()}`);
  try {
    await serve.waitFor(/Listening on: +http:\/\/\S+/, 20_000);
  } catch (error) {
    await serve.stop();
    throw error;
  }
  return { process: serve, port, dataDir, urls: serverUrls(`http://localhost:${port}`), stop: () => serve.stop() };
}
