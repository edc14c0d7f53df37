import { setTimeout as sleep } from 'node:timers/promises';
import type { DatabaseSync } from 'node:sqlite';
import { StoreUnavailableError } from '../contract/store.js';

/**
 * Group commit. Every write made during one turn of the event loop joins one transaction, committed (and, with
 * synchronous=FULL, fsynced) once at the end of the turn; each writer's promise settles only after that commit,
 * so an acknowledged write is as durable as before while concurrent requests share one fsync instead of each
 * paying their own. The statement itself runs at once: its result (a consume that won, a counter's value) is
 * known inside the transaction, which holds SQLite's write lock, so other connections still see all or nothing.
 */
export class GroupCommit {
  private closed = false;
  /** Writers waiting for the open group commit, or undefined when no write transaction is open. */
  private batch: Array<{ resolve(): void; reject(error: unknown): void }> | undefined;
  /** The write lock being taken for the next batch, shared by the writers waiting for it. */
  private opening: Promise<void> | undefined;

  constructor(
    private readonly db: DatabaseSync,
    private readonly busyTimeoutMs: number,
  ) {}

  async write<T>(statement: () => T): Promise<T> {
    if (this.closed) throw new StoreUnavailableError('the SQLite store is closed');
    // Some errors (I/O, disk full) make SQLite roll back the whole transaction: its writers must hear of it.
    if (this.batch && !this.db.isTransaction) this.abandon(new StoreUnavailableError('SQLite rolled back the open write transaction'));
    if (!this.batch) {
      this.opening ??= this.openBatch().finally(() => (this.opening = undefined));
      await this.opening;
    }
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

  /** Commit the open batch now (writes already made are acknowledged, not dropped) and accept no more. */
  close(): void {
    this.commit();
    this.closed = true;
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
}

function isBusy(error: unknown): boolean {
  const { errcode, errstr } = error as { errcode?: unknown; errstr?: unknown };
  return (typeof errcode === 'number' && (errcode & 0xff) === 5) || errstr === 'database is locked';
}
