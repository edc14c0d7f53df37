import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './cli.js';
import { startProcess, type RunningProcess } from './process.js';

/** A private `redis-server` on a free port (append-only file on, fsync always), that tests may stop and start again. */
export class PrivateRedis {
  #process?: RunningProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-'));

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.resume();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async resume(): Promise<void> {
    this.#process = startProcess('redis-server', [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--dir',
      this.dir,
    ]);
    await this.#process.waitFor(/Ready to accept connections/, 10_000);
  }

  async stop(): Promise<void> {
    await this.#process?.stop();
    this.#process = undefined;
  }
}
