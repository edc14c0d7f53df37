import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { StoreUnavailableError, type Store, type StoreEntry, type StoredRecord } from './store.js';
import { decodeValue, encodeValue, expiryFor, isLive, splitMember, windowMsFor } from './values.js';

export interface SqliteStoreOptions {
  /** How long a statement waits for another connection's write lock before failing (default 5000 ms). */
  busyTimeoutMs?: number;
  /** How often expired rows are deleted (default 60 s). Reads already hide them; this only reclaims space. */
  sweepIntervalMs?: number;
}

type Sqlite = typeof import('node:sqlite');
let sqliteModule: Sqlite | undefined;

/**
 * `node:sqlite` is built in (no native addon to compile) but on Node 22 loading it emits an ExperimentalWarning
 * that would land in every operator's logs. We drop exactly that one warning while loading the module and let
 * every other warning through; the wrapper is removed again before this function returns.
 */
function loadSqlite(): Sqlite {
  if (sqliteModule) return sqliteModule;
  const original = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const message = typeof warning === 'string' ? warning : warning.message;
    const type = typeof warning === 'string' ? rest[0] : warning.name;
    const typeName = typeof type === 'object' && type !== null ? (type as { type?: unknown }).type : type;
    if (typeName === 'ExperimentalWarning' && /sqlite/i.test(message)) return;
    return (original as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    sqliteModule = createRequire(import.meta.url)('node:sqlite') as Sqlite;
  } finally {
    process.emitWarning = original;
  }
  return sqliteModule;
}

/**
 * Schema migrations, indexed by the `user_version` they upgrade *from*. Append new steps; never edit old ones.
 * Version 1: records by (kind, id) and group memberships, each with an optional absolute expiry in ms.
 * Version 2: fixed-window counters (rate limits), each with the absolute time its window ends.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE records (
     kind        TEXT    NOT NULL,
     id          TEXT    NOT NULL,
     value       TEXT    NOT NULL,
     expires_at  INTEGER,
     consumed_at INTEGER,
     PRIMARY KEY (kind, id)
   );
   CREATE INDEX records_expiry ON records (expires_at) WHERE expires_at IS NOT NULL;
   CREATE TABLE group_members (
     grp        TEXT    NOT NULL,
     member     TEXT    NOT NULL,
     expires_at INTEGER,
     PRIMARY KEY (grp, member)
   );
   CREATE INDEX group_members_expiry ON group_members (expires_at) WHERE expires_at IS NOT NULL;`,
  `CREATE TABLE counters (
     name     TEXT    NOT NULL PRIMARY KEY,
     count    INTEGER NOT NULL,
     reset_at INTEGER NOT NULL
   );
   CREATE INDEX counters_reset ON counters (reset_at);`,
];

/** Open (creating if needed) a SQLite-backed store. Use ':memory:' for a private throwaway database. */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  return new SqliteStore(path, options);
}

export class SqliteStore implements Store {
  private readonly db: DatabaseSync;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly stmt: ReturnType<typeof prepareStatements>;
  private closed = false;
  /** Writers waiting for the open group commit, or undefined when no write transaction is open. */
  private batch: Array<{ resolve(): void; reject(error: unknown): void }> | undefined;
  /** The write lock being taken for the next batch, shared by the writers waiting for it. */
  private opening: Promise<void> | undefined;
  private readonly busyTimeoutMs: number;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    if (path === '') throw new Error('SQLite store path must not be empty (use ":memory:" for an in-memory database)');
    const onDisk = path !== ':memory:';
    if (onDisk) createPrivateFile(path);
    const { DatabaseSync } = loadSqlite();
    this.db = new DatabaseSync(path);
    try {
      // Tighten a pre-existing file too. Done before WAL is enabled: SQLite gives -wal/-shm the db file's mode.
      if (onDisk) chmodSync(path, 0o600);
      this.busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));
      this.db.exec(`PRAGMA busy_timeout = ${this.busyTimeoutMs}`);
      // WAL lets readers and one writer (possibly in another process) work concurrently.
      const mode = this.db.prepare('PRAGMA journal_mode = WAL').get()?.journal_mode;
      if (onDisk && mode !== 'wal') throw new Error(`could not enable WAL journal mode on ${path} (got ${String(mode)})`);
      // FULL: fsync the WAL on every commit, so a committed token or revocation survives power loss.
      this.db.exec('PRAGMA synchronous = FULL');
      migrate(this.db);
      this.stmt = prepareStatements(this.db);
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.sweepTimer = setInterval(() => this.sweepQuietly(), options.sweepIntervalMs ?? 60_000);
    // The sweep is housekeeping only; it must never keep a process alive.
    this.sweepTimer.unref();
  }

  async get<T>(kind: string, id: string): Promise<StoredRecord<T> | undefined> {
    const row = this.stmt.get.get(kind, id, Date.now());
    return row && toRecord<T>(row);
  }

  async set(kind: string, id: string, value: unknown, ttlSeconds?: number): Promise<void> {
    await this.write(() => this.stmt.set.run(kind, id, encodeValue(value), expiryFor(ttlSeconds, Date.now()) ?? null));
  }

  async delete(kind: string, id: string): Promise<void> {
    await this.write(() => this.stmt.delete.run(kind, id));
  }

  async consume(kind: string, id: string): Promise<boolean> {
    // One conditional UPDATE: SQLite serialises writers, so across connections and processes only one sees a row change.
    const now = Date.now();
    return this.write(() => Number(this.stmt.consume.run(now, kind, id, now).changes) === 1);
  }

  async list<T>(kind: string): Promise<Array<{ id: string } & StoredRecord<T>>> {
    return this.stmt.list.all(kind, Date.now()).map((row) => ({ id: String(row.id), ...toRecord<T>(row) }));
  }

  async addToGroup(group: string, member: string, ttlSeconds?: number): Promise<void> {
    await this.write(() => this.stmt.addToGroup.run(group, member, expiryFor(ttlSeconds, Date.now()) ?? null));
  }

  async members(group: string): Promise<string[]> {
    return this.stmt.members.all(group, Date.now()).map((row) => String(row.member));
  }

  async deleteGroup(group: string): Promise<void> {
    await this.write(() => this.stmt.deleteGroup.run(group));
  }

  async purgeGroup(group: string): Promise<void> {
    // The savepoint makes the purge all-or-nothing inside the group commit; node:sqlite is synchronous, so
    // nothing else on this connection runs while it does, and the write lock keeps other connections out.
    await this.write(() => {
      this.db.exec('SAVEPOINT purge');
      try {
        const now = Date.now();
        for (const row of this.stmt.members.all(group, now)) {
          const split = splitMember(String(row.member));
          if (split) this.stmt.delete.run(split.kind, split.id);
        }
        this.stmt.deleteGroup.run(group);
        this.db.exec('RELEASE purge');
      } catch (error) {
        this.db.exec('ROLLBACK TO purge');
        this.db.exec('RELEASE purge');
        throw error;
      }
    });
  }

  async setIfAbsent(kind: string, id: string, value: unknown, ttlSeconds?: number): Promise<boolean> {
    // One statement: insert, or take over a row whose TTL has passed (the sweep may not have removed it yet).
    const now = Date.now();
    const json = encodeValue(value);
    return this.write(() => Number(this.stmt.setIfAbsent.run(kind, id, json, expiryFor(ttlSeconds, now) ?? null, now).changes) === 1);
  }

  async increment(counter: string, windowSeconds: number): Promise<{ count: number; resetInMs: number }> {
    const windowMs = windowMsFor(windowSeconds);
    const now = Date.now();
    const row = await this.write(() => this.stmt.increment.get(counter, now + windowMs, now));
    if (!row) throw new Error('counter upsert returned no row');
    return { count: Number(row.count), resetInMs: Number(row.reset_at) - now };
  }

  async *entries(): AsyncIterable<StoreEntry> {
    const live = '(expires_at IS NULL OR expires_at > ?)';
    // Rows are stepped through one at a time rather than loaded with all(). Each call prepares its own statements:
    // a prepared statement has a single cursor, so sharing one would let list() or a second entries() reset it.
    const records = this.rows(`SELECT kind, id, value, expires_at, consumed_at FROM records WHERE ${live} ORDER BY kind, id`);
    for await (const row of records) {
      if (!liveRow(row)) continue; // ran out while the consumer was busy
      yield { type: 'record', kind: String(row.kind), id: String(row.id), record: toRecord<unknown>(row) };
    }
    const members = this.rows(`SELECT grp, member, expires_at FROM group_members WHERE ${live} ORDER BY grp, member`);
    for await (const row of members) {
      if (!liveRow(row)) continue;
      const entry: StoreEntry = { type: 'member', group: String(row.grp), member: String(row.member) };
      if (row.expires_at !== null && row.expires_at !== undefined) entry.expiresAt = Number(row.expires_at);
      yield entry;
    }
  }

  async ping(): Promise<void> {
    if (this.closed) throw new StoreUnavailableError('the SQLite store is closed');
    try {
      this.stmt.ping.get();
    } catch (error) {
      throw new StoreUnavailableError(`the SQLite database did not answer: ${(error as Error).message}`);
    }
  }

  /** Delete expired rows now. Runs on the timer; exposed for tests and maintenance commands. */
  sweep(): void {
    const now = Date.now();
    this.stmt.sweepRecords.run(now);
    this.stmt.sweepMembers.run(now);
    this.stmt.sweepCounters.run(now);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.commit(); // writes already made are acknowledged, not dropped
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.db.close();
  }

  /**
   * Group commit. Every write made during one turn of the event loop joins one transaction, committed (and, with
   * synchronous=FULL, fsynced) once at the end of the turn; each writer's promise settles only after that commit,
   * so an acknowledged write is as durable as before while concurrent requests share one fsync instead of each
   * paying their own. The statement itself runs at once: its result (a consume that won, a counter's value) is
   * known inside the transaction, which holds SQLite's write lock, so other connections still see all or nothing.
   */
  private async write<T>(statement: () => T): Promise<T> {
    if (this.closed) throw new StoreUnavailableError('the SQLite store is closed');
    // Some errors (I/O, disk full) make SQLite roll back the whole transaction: its writers must hear of it.
    if (this.batch && !this.db.isTransaction) this.abandon(new StoreUnavailableError('SQLite rolled back the open write transaction'));
    if (!this.batch) await (this.opening ??= this.openBatch().finally(() => (this.opening = undefined)));
    const batch = this.batch;
    if (!batch) throw new StoreUnavailableError('the SQLite store is closed');
    let result: T;
    try {
      result = statement(); // a failing statement is undone by SQLite on its own; the rest of the batch goes on
    } catch (error) {
      if (!this.db.isTransaction) this.abandon(error);
      throw error;
    }
    return new Promise<T>((resolve, reject) => batch.push({ resolve: () => resolve(result), reject }));
  }

  /**
   * Take the write lock for a new batch. The lock is tried without SQLite's busy wait, which would block the event
   * loop: another store in this very process holding the lock could then never reach its commit. Instead a busy
   * lock is retried on a timer until the busy timeout has passed.
   */
  private async openBatch(): Promise<void> {
    const deadline = Date.now() + this.busyTimeoutMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
      if (this.closed) throw new StoreUnavailableError('the SQLite store is closed');
      try {
        this.db.exec('PRAGMA busy_timeout = 0'); // (a prepared PRAGMA takes effect when compiled, not when run)
        this.db.exec('BEGIN IMMEDIATE');
        break;
      } catch (error) {
        if (!isBusy(error) || Date.now() >= deadline) throw error;
      } finally {
        this.db.exec(`PRAGMA busy_timeout = ${this.busyTimeoutMs}`);
      }
      await sleep(wait);
    }
    this.batch = [];
    setImmediate(() => this.commit());
  }

  private abandon(error: unknown): void {
    const writers = this.batch ?? [];
    this.batch = undefined;
    for (const writer of writers) writer.reject(error);
  }

  private commit(): void {
    const writers = this.batch;
    if (!writers) return;
    this.batch = undefined;
    try {
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      for (const writer of writers) writer.reject(error);
      return;
    }
    for (const writer of writers) writer.resolve();
  }

  /**
   * The rows of a query on live rows (its one parameter is the current time), one by one. The statement is reset
   * when the consumer stops early; closing the store while a consumer is still reading ends it with
   * StoreUnavailableError.
   */
  private async *rows(sql: string): AsyncGenerator<Row> {
    if (this.closed) throw new StoreUnavailableError('the SQLite store is closed');
    const cursor = this.db.prepare(sql).iterate(Date.now());
    let finished = false;
    try {
      for (;;) {
        let step: IteratorResult<Row>;
        try {
          step = cursor.next();
        } catch (error) {
          if (this.closed) throw new StoreUnavailableError('the SQLite store was closed while its entries were being read');
          throw error;
        }
        if (step.done) {
          finished = true;
          return;
        }
        yield step.value;
      }
    } finally {
      // Resetting releases the statement's read snapshot; after close() the statement is already finalized.
      if (!finished && !this.closed) cursor.return?.();
    }
  }

  private sweepQuietly(): void {
    // Joins the group commit like any write. A busy database just means the next sweep does the work; reads
    // never return expired rows anyway.
    if (!this.closed) this.write(() => this.sweep()).catch(() => {});
  }
}

/** Statements are compiled once per connection and reused for every call. */
function prepareStatements(db: DatabaseSync) {
  const live = '(expires_at IS NULL OR expires_at > ?)';
  return {
    get: db.prepare(`SELECT value, expires_at, consumed_at FROM records WHERE kind = ? AND id = ? AND ${live}`),
    set: db.prepare(
      `INSERT INTO records (kind, id, value, expires_at, consumed_at) VALUES (?, ?, ?, ?, NULL)
       ON CONFLICT (kind, id) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, consumed_at = NULL`,
    ),
    delete: db.prepare('DELETE FROM records WHERE kind = ? AND id = ?'),
    consume: db.prepare(
      `UPDATE records SET consumed_at = ? WHERE kind = ? AND id = ? AND consumed_at IS NULL AND ${live}`,
    ),
    list: db.prepare(`SELECT id, value, expires_at, consumed_at FROM records WHERE kind = ? AND ${live}`),
    addToGroup: db.prepare(
      `INSERT INTO group_members (grp, member, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (grp, member) DO UPDATE SET expires_at = excluded.expires_at`,
    ),
    members: db.prepare(`SELECT member FROM group_members WHERE grp = ? AND ${live}`),
    deleteGroup: db.prepare('DELETE FROM group_members WHERE grp = ?'),
    setIfAbsent: db.prepare(
      `INSERT INTO records (kind, id, value, expires_at, consumed_at) VALUES (?, ?, ?, ?, NULL)
       ON CONFLICT (kind, id) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, consumed_at = NULL
       WHERE records.expires_at IS NOT NULL AND records.expires_at <= ?`,
    ),
    // A window that has ended restarts at 1; SET expressions all see the row as it was before the update.
    increment: db.prepare(
      `INSERT INTO counters (name, count, reset_at) VALUES (?1, 1, ?2)
       ON CONFLICT (name) DO UPDATE SET
         count    = CASE WHEN counters.reset_at <= ?3 THEN 1 ELSE counters.count + 1 END,
         reset_at = CASE WHEN counters.reset_at <= ?3 THEN excluded.reset_at ELSE counters.reset_at END
       RETURNING count, reset_at`,
    ),
    ping: db.prepare('SELECT 1 AS ok'),
    sweepRecords: db.prepare('DELETE FROM records WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    sweepMembers: db.prepare('DELETE FROM group_members WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    sweepCounters: db.prepare('DELETE FROM counters WHERE reset_at <= ?'),
  } satisfies Record<string, StatementSync>;
}

/** Bring the schema up to date. IMMEDIATE takes the write lock first, so two processes starting together don't both migrate. */
function migrate(db: DatabaseSync): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    const version = Number(db.prepare('PRAGMA user_version').get()?.user_version ?? 0);
    if (version > MIGRATIONS.length) {
      throw new Error(`database schema version ${version} is newer than this gatehouse supports (${MIGRATIONS.length})`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v] ?? '');
    if (version !== MIGRATIONS.length) db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/** Parent directory 0700 and database file 0600: the file holds token hashes, grants and client secrets. */
function createPrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
}

type Row = Record<string, unknown>;

function isBusy(error: unknown): boolean {
  const { errcode, errstr } = error as { errcode?: unknown; errstr?: unknown };
  return (typeof errcode === 'number' && (errcode & 0xff) === 5) || errstr === 'database is locked';
}

function liveRow(row: Row): boolean {
  return row.expires_at === null || row.expires_at === undefined || isLive(Number(row.expires_at), Date.now());
}

function toRecord<T>(row: Row): StoredRecord<T> {
  const record: StoredRecord<T> = { value: decodeValue<T>(String(row.value)) };
  if (row.consumed_at !== null && row.consumed_at !== undefined) record.consumedAt = Number(row.consumed_at);
  if (row.expires_at !== null && row.expires_at !== undefined) record.expiresAt = Number(row.expires_at);
  return record;
}
