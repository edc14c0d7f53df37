import { OperatorError } from '../util/operator-error.js';
import { MemoryStore } from './memory.js';
import { openPostgresStore } from './postgres/index.js';
import { openRedisStore } from './redis/index.js';
import { openSqliteStore } from './sqlite/index.js';
import type { Store } from './contract/store.js';

export type { Store, StoredRecord, StoreEntry } from './contract/store.js';
export { copyStore, type CopyOptions, type CopyProgress, type CopyResult } from './copy.js';
export { StoreUnavailableError } from './contract/store.js';
export { MemoryStore } from './memory.js';
export { SqliteStore, openSqliteStore, type SqliteStoreOptions } from './sqlite/index.js';
export { RedisStore, openRedisStore, type RedisStoreOptions } from './redis/index.js';
export { PostgresStore, openPostgresStore, type PostgresStoreOptions } from './postgres/index.js';

export interface OpenStoreOptions {
  /**
   * Namespace for shared backends, default `gatehouse`: the key prefix in Redis, the schema in PostgreSQL.
   * Ignored by memory and SQLite.
   */
  prefix?: string;
}

/**
 * One opener per URL scheme; a new backend is one more entry. Receives the text after the colon, the whole URL
 * and the caller's options.
 */
const openers: Record<string, (rest: string, url: string, options: OpenStoreOptions) => Promise<Store>> = {
  memory: async (rest) => {
    if (rest !== '') throw new Error('the memory store URL takes no options: use "memory:"');
    return new MemoryStore();
  },
  sqlite: async (path) => {
    if (path === '') throw new Error('the sqlite store URL needs a path, e.g. "sqlite:./gatehouse.db" or "sqlite::memory:"');
    return openSqliteStore(path);
  },
  redis: async (_rest, url, options) => openRedisStore(url, prefixOption(options)),
  rediss: async (_rest, url, options) => openRedisStore(url, prefixOption(options)),
  postgres: async (_rest, url, options) => openPostgresStore(url, prefixOption(options)),
  postgresql: async (_rest, url, options) => openPostgresStore(url, prefixOption(options)),
};

/** The schemes of stores that many replicas share, and that therefore also hold the signing keys (sealed). */
const SHARED_SCHEMES = new Set(['redis', 'rediss', 'postgres', 'postgresql']);

/** Whether a store URL names a store many replicas share (Redis, PostgreSQL) rather than one on this machine. */
export function isSharedStoreUrl(url: string): boolean {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url.trim())?.[1];
  return scheme !== undefined && SHARED_SCHEMES.has(scheme.toLowerCase());
}

function prefixOption(options: OpenStoreOptions): { prefix?: string } {
  return options.prefix === undefined ? {} : { prefix: options.prefix };
}

/**
 * Open the store a configuration names: `memory:`, `sqlite:<path>` (`sqlite::memory:` for a private in-memory
 * database), `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS),
 * `postgres://user[:password]@host[:port]/database[?sslmode=…]` (or `postgresql://`), or a bare file path, which
 * means SQLite. `prefix` namespaces a shared deployment (default `gatehouse`): Redis keys, a PostgreSQL schema.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const trimmed = url.trim();
  if (trimmed === '') {
    throw new OperatorError('store (--store / GATEHOUSE_STORE): the URL is empty: use "memory:", "sqlite:<path>", "redis://…", "postgres://…" or a file path');
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1];
  // No scheme, or a Windows drive letter ("C:\…"), is a plain SQLite file path.
  if (scheme === undefined || /^[a-z]:[\\/]/i.test(trimmed)) return openSqliteStore(trimmed);
  const opener = openers[scheme.toLowerCase()];
  // Only the scheme is echoed back: the rest of a URL may carry credentials.
  if (!opener) {
    throw new OperatorError(
      `store (--store / GATEHOUSE_STORE): unsupported URL scheme "${scheme}:"; supported: ${Object.keys(openers)
        .map((s) => `${s}:`)
        .join(', ')} or a file path`,
    );
  }
  return opener(trimmed.slice(scheme.length + 1), trimmed, options);
}
