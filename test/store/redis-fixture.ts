/** Redis servers for the store tests: the shared one on 127.0.0.1:6379, or private `redis-server` children. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

/** A prefix no other run uses, so tests can share a Redis server and clean up after themselves. */
export const runPrefix = `test-${randomBytes(6).toString('hex')}`;

/** Whether something that speaks Redis answers on host:port (PONG, or NOAUTH from a password-protected server). */
export function answersPing(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(/^(\+PONG|-NOAUTH)/.test(reply));
    });
  });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const running = new Set<PrivateRedisServer>();
process.on('exit', () => {
  for (const server of running) server.child?.kill('SIGKILL');
});

/** A `redis-server` child on a free port with its own data directory; stop() and start() keep port and directory. */
export class PrivateRedisServer {
  child: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'gatehouse-store-redis-'));
  private output = '';

  private constructor(
    readonly port: number,
    private readonly extraArgs: string[],
  ) {}

  /** `extraArgs` override the defaults (no RDB snapshots, no append-only file). */
  static async start(extraArgs: string[] = []): Promise<PrivateRedisServer> {
    const server = new PrivateRedisServer(await freePort(), extraArgs);
    await server.start();
    return server;
  }

  url(password?: string): string {
    return `redis://${password === undefined ? '' : `:${encodeURIComponent(password)}@`}127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir];
    const child = spawn('redis-server', [...args, ...this.extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    running.add(this);
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    const deadline = Date.now() + 15_000;
    while (!(await answersPing(this.port, '127.0.0.1', 500))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`redis-server on port ${this.port} did not start:\n${this.output}`);
      }
      await sleep(50);
    }
  }

  /** SIGTERM and wait for the process to exit (Redis flushes its append-only file on the way out). */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    running.delete(this);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }

  /** Stop the server and remove its data directory. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The Redis the contract suite runs against: 127.0.0.1:6379 when it answers, otherwise a private server started
 * for this run (stopped by `release`).
 */
export async function sharedRedis(): Promise<{ url: string; release: () => Promise<void> }> {
  if (await answersPing(6379)) return { url: 'redis://127.0.0.1:6379', release: async () => {} };
  const server = await PrivateRedisServer.start();
  return { url: server.url(), release: () => server.destroy() };
}

/** Every key whose name starts with `{prefix}:` (SCAN, so it is safe on a shared server). */
export async function keysWithPrefix(url: string, prefix: string): Promise<string[]> {
  return scanKeys(url, `${globEscape(`{${prefix}}:`)}*`);
}

export async function scanKeys(url: string, pattern: string): Promise<string[]> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  } finally {
    client.disconnect();
  }
}

/** SCAN + DEL of every key under the given prefixes. */
export async function deleteKeysWithPrefixes(url: string, prefixes: Iterable<string>): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    for (const prefix of prefixes) {
      const keys = await keysWithPrefix(url, prefix);
      for (let i = 0; i < keys.length; i += 500) await client.del(...keys.slice(i, i + 500));
    }
  } finally {
    client.disconnect();
  }
}

function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
