import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { StoreUnavailableError, type Store, type StoreEntry, type StoredRecord } from '../contract/store.js';
import { encodeValue, expiryFor, splitMember, windowMsFor } from '../contract/values.js';
import { GroupCommit } from './group-commit.js';
import { loadSqlite } from './load.js';
import { liveRow, toRecord, type Row } from '../contract/rows.js';
import { migrate } from './schema.js';
import { LIVE, prepareStatements, type Statements } from './statements.js';

export interface SqliteStoreOptions {
  /** How long a statement waits for another connection's write lock before failing (default 5000 ms). */
  busyTimeoutMs?: number;
  /** How often expired rows are deleted (default 60 s). Reads already hide them; this only reclaims space. */
  sweepIntervalMs?: number;
}

/** Open (creating if needed) a SQLite-backed store. Use ':memory:' for a private throwaway database. */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  return new SqliteStore(path, options);
}

/** The Store operations on one SQLite connection; writes go through the group commit (group-commit.ts). */
export class SqliteStore implements Store {
  private readonly db: DatabaseSync;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly stmt: Statements;
  private readonly writer: GroupCommit;
  private closed = false;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    if (path === '') throw new Error('SQLite store path must not be empty (use ":memory:" for an in-memory database)');
    const onDisk = path !== ':memory:';
    if (onDisk) createPrivateFile(path);
    const { DatabaseSync } = loadSqlite();
    this.db = new DatabaseSync(path);
    try {
      // Tighten a pre-existing file too. Done before WAL is enabled: SQLite gives -wal/-shm the db file's mode.
      if (onDisk) chmodSync(path, 0o600);
      const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));
      this.db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
      // WAL lets readers and one writer (possibly in another process) work concurrently.
      const mode = this.db.prepare('PRAGMA journal_mode = WAL').get()?.journal_mode;
      if (onDisk && mode !== 'wal') throw new Error(`could not enable WAL journal mode on ${path} (got ${String(mode)})`);
      // FULL: fsync the WAL on every commit, so a committed token or revocation survives power loss.
      this.db.exec('PRAGMA synchronous = FULL');
      migrate(this.db);
      this.stmt = prepareStatements(this.db);
      this.writer = new GroupCommit(this.db, busyTimeoutMs);
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
    // Rows are stepped through one at a time rather than loaded with all(). Each call prepares its own statements:
    // a prepared statement has a single cursor, so sharing one would let list() or a second entries() reset it.
    const records = this.rows(`SELECT kind, id, value, expires_at, consumed_at FROM records WHERE ${LIVE} ORDER BY kind, id`);
    for await (const row of records) {
      if (!liveRow(row)) continue; // ran out while the consumer was busy
      yield { type: 'record', kind: String(row.kind), id: String(row.id), record: toRecord<unknown>(row) };
    }
    const members = this.rows(`SELECT grp, member, expires_at FROM group_members WHERE ${LIVE} ORDER BY grp, member`);
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
    this.writer.close(); // writes already made are acknowledged, not dropped
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.db.close();
  }

  private write<T>(statement: () => T): Promise<T> {
    return this.writer.write(statement);
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

/** Parent directory 0700 and database file 0600: the file holds token hashes, grants and client secrets. */
function createPrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
}
