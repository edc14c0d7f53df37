import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Readable } from 'node:stream';

/** Text read from one or more streams, with a way to wait until it matches a pattern. */
export interface Transcript {
  text(): string;
  /** Resolve with the first match once the text matches; reject on timeout or when `ended` settles first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

export function transcript(streams: readonly Readable[], ended?: Promise<unknown>): Transcript {
  let text = '';
  const listeners = new Set<() => void>();
  for (const stream of streams) {
    stream.on('data', (chunk) => {
      text += String(chunk);
      for (const listener of [...listeners]) listener();
    });
  }
  return {
    text: () => text,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        const check = () => {
          const match = pattern.exec(text);
          if (match) {
            done();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; output so far:\n${text}`));
        }, timeoutMs);
        listeners.add(check);
        void ended?.then((code) => {
          if (!listeners.has(check)) return;
          check();
          if (!listeners.has(check)) return;
          done();
          reject(new Error(`the process ended (${String(code)}) before ${pattern}; output:\n${text}`));
        });
        check();
      });
    },
  };
}

export interface RunningProcess extends Transcript {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Any command as a child process, its output collected (stdout and stderr together in `text()`). */
export function startProcess(command: string, args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}): RunningProcess {
  const child = spawn(command, args, { env: options.env ?? { PATH: process.env['PATH'] ?? '' }, cwd: options.cwd, stdio: 'pipe' });
  // Safety net: if the test process exits without stopping it (a failed before, a timeout), take it along.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      process.off('exit', killOnExit);
      resolve(code ?? (signal ? -1 : null));
    }),
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const both = transcript([child.stdout, child.stderr], exited);
  return {
    ...both,
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Whether a process id is still alive (signal 0 probes without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Settle with `promise`, or reject naming `what` when it takes longer than `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
