import { isIP } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { StoreUnavailableError } from '../contract/store.js';
import type { LuaScript } from './scripts.js';
import type { RedisTarget } from './url.js';

export interface RedisConnectionOptions {
  /** How long to wait for a TCP connection (and, when opening, for the first one) before giving up (default 2000 ms). */
  connectTimeoutMs?: number;
  /** How long one command may take before it fails with StoreUnavailableError (default 1000 ms). */
  commandTimeoutMs?: number;
  /** Upper bound of the reconnect backoff while Redis is unreachable (default 2000 ms). Reconnecting never stops. */
  maxReconnectDelayMs?: number;
}

/** How many keys one SCAN (and members one ZSCAN) step asks for, and how many records one read-records reads. */
export const SCAN_BATCH = 500;

/** Server replies that mean "cannot serve right now" rather than "this command is wrong". */
const UNAVAILABLE_REPLIES = new Set([
  'LOADING',
  'BUSY',
  'MASTERDOWN',
  'READONLY',
  'TRYAGAIN',
  'CLUSTERDOWN',
  'MISCONF',
  'OOM',
  'NOREPLICAS',
  'NOAUTH',
  'WRONGPASS',
]);

/**
 * The one ioredis client of a Redis store, and the only way to use it: every command goes through `call` or
 * `script`, so connection trouble becomes StoreUnavailableError and no message ever carries the password.
 */
export class RedisConnection {
  readonly client: Redis;
  private readonly secret: string | undefined;
  private readonly where: string;
  private readonly connectTimeoutMs: number;
  private lastError: string | undefined;
  private closing: Promise<void> | undefined;

  constructor(target: RedisTarget, options: RedisConnectionOptions = {}) {
    this.secret = target.password;
    this.where = `${target.host}:${target.port}`;
    this.connectTimeoutMs = positive(options.connectTimeoutMs, 2000);
    const maxDelay = positive(options.maxReconnectDelayMs, 2000);
    const redisOptions: RedisOptions = {
      host: target.host,
      port: target.port,
      db: target.db,
      connectTimeout: this.connectTimeoutMs,
      commandTimeout: positive(options.commandTimeoutMs, 1000),
      // Fail fast: no queueing while disconnected, and a command in flight when the connection drops is rejected
      // at once instead of being replayed (replaying a consume or an increment could apply it twice).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // Reconnect forever, backing off exponentially up to maxDelay (with jitter so replicas don't stampede).
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt - 1, 16), maxDelay) + Math.floor(Math.random() * 100),
      connectionName: 'gatehouse',
    };
    if (target.username !== undefined) redisOptions.username = target.username;
    if (target.password !== undefined) redisOptions.password = target.password;
    // SNI carries host names only; for an IP address the certificate is still checked against the IP.
    if (target.tls) redisOptions.tls = isIP(target.host) ? {} : { servername: target.host };
    this.client = new Redis(redisOptions);
    // Without a listener ioredis prints every connection error to the console. Keep only a redacted message.
    this.client.on('error', (error: Error) => {
      this.lastError = this.redact(error.message);
    });
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Resolves once connected; rejects with StoreUnavailableError (and closes) if that takes longer than the connect timeout. */
  async ready(): Promise<void> {
    if (this.client.status === 'ready') return;
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), this.connectTimeoutMs);
      const onReady = () => done(true);
      const onEnd = () => done(false);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        this.client.off('end', onEnd);
        resolve(ok);
      };
      this.client.once('ready', onReady);
      this.client.once('end', onEnd);
    });
    if (connected) return;
    await this.close();
    throw new StoreUnavailableError(
      `could not connect to Redis at ${this.where} within ${this.connectTimeoutMs} ms${this.lastError ? `: ${this.lastError}` : ''}`,
    );
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.client.status === 'ready') {
        try {
          await this.client.quit();
          return;
        } catch {
          /* fall through: drop the connection without waiting */
        }
      }
      this.client.disconnect();
    })();
    return this.closing;
  }

  script(script: LuaScript, keys: string[], args: Array<string | number> = []): Promise<unknown> {
    return this.call(async () => {
      try {
        return await this.client.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (error) {
        // The script cache is empty after a Redis restart or failover: send the source once, which caches it again.
        if (!/^NOSCRIPT/.test((error as Error).message)) throw error;
        return await this.client.eval(script.source, keys.length, ...keys, ...args);
      }
    });
  }

  /** Every Redis call goes through here: connection trouble becomes StoreUnavailableError, nothing leaks the password. */
  async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw this.translate(error);
    }
  }

  /** Every key that starts with `start`, each once, by SCAN in batches (so a large keyspace never blocks Redis). */
  async *scanKeys(start: string): AsyncGenerator<string> {
    const pattern = `${globEscape(start)}*`;
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await this.call(() => this.client.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_BATCH));
      cursor = next;
      for (const key of keys) {
        if (seen.has(key)) continue;
        seen.add(key);
        yield key;
      }
    } while (cursor !== '0');
  }

  /** A sorted set's contents as flat member, score batches (ZSCAN; a member may come up more than once). */
  async *zscan(key: string): AsyncGenerator<string[]> {
    let cursor = '0';
    do {
      const [next, pairs] = await this.call(() => this.client.zscan(key, cursor, 'COUNT', SCAN_BATCH));
      cursor = next;
      if (pairs.length > 0) yield pairs;
    } while (cursor !== '0');
  }

  private translate(error: unknown): Error {
    if (error instanceof StoreUnavailableError) return error;
    const message = this.redact(error instanceof Error ? error.message : String(error));
    if (error instanceof Error && error.name === 'ReplyError') {
      const code = /^[A-Z]+/.exec(message)?.[0];
      if (code && UNAVAILABLE_REPLIES.has(code)) return new StoreUnavailableError(`Redis cannot serve requests: ${message}`);
      // A command or script the server refused: a bug, not an outage. A fresh error, so no command arguments ride along.
      return new Error(`Redis refused a store command: ${message}`);
    }
    return new StoreUnavailableError(`Redis at ${this.where} is unavailable: ${message}`);
  }

  private redact(message: string): string {
    return this.secret ? message.split(this.secret).join('***') : message;
  }
}

/** `text` as a SCAN MATCH pattern that matches only itself. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
