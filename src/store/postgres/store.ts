import pg from 'pg';
import { liveRow, toRecord, type Row } from '../contract/rows.js';
import type { Store, StoreEntry, StoredRecord } from '../contract/store.js';
import { encodeValue, expiryFor, windowMsFor } from '../contract/values.js';
import { DEFAULT_KEY_PREFIX } from '../redis/keys.js';
import { PostgresConnection, type PostgresConnectionOptions } from './connection.js';
import { migrate } from './schema.js';
import { BATCH, statements, type Statements } from './statements.js';
import { parsePostgresUrl, type PostgresTarget } from './url.js';

export interface PostgresStoreOptions extends PostgresConnectionOptions {
  /**
   * The schema that holds the deployment's tables (default `gatehouse`), created on first start. Deployments
   * sharing one database need different prefixes; replicas of one deployment must share it.
   */
  prefix?: string;
  /** How often expired rows are deleted (default 60 s). Reads already hide them; this only reclaims space. */
  sweepIntervalMs?: number;
}

/** PostgreSQL truncates longer identifiers, which could make two prefixes one schema. */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * Open a PostgreSQL-backed store on `postgres://user[:password]@host[:port]/database` (or `postgresql://…`).
 * Connects and migrates the schema before resolving, so a wrong address, password or database fails at startup
 * with StoreUnavailableError; after that, outages make calls fail fast while the pool reconnects as needed.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const store = new PostgresStore(parsePostgresUrl(url), options);
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  store.startSweeping(options.sweepIntervalMs ?? 60_000);
  return store;
}

/** The Store operations on PostgreSQL: each one a single statement (statements.ts), so each is atomic. */
export class PostgresStore implements Store {
  readonly schemaName: string;
  private readonly schema: string;
  private readonly sql: Statements;
  private readonly db: PostgresConnection;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping = false;

  /** Prefer openPostgresStore, which also migrates the schema and starts the sweep. */
  constructor(target: PostgresTarget, options: PostgresStoreOptions = {}) {
    this.schemaName = options.prefix ?? DEFAULT_KEY_PREFIX;
    if (this.schemaName === '' || Buffer.byteLength(this.schemaName) > MAX_IDENTIFIER_BYTES) {
      throw new Error(`the PostgreSQL store prefix (its schema name) must be 1 to ${MAX_IDENTIFIER_BYTES} bytes long`);
    }
    this.schema = pg.escapeIdentifier(this.schemaName);
    this.sql = statements(this.schema);
    this.db = new PostgresConnection(target, options);
  }

  /** Create or upgrade the schema (schema.ts). */
  migrate(): Promise<void> {
    return migrate(this.db, this.schema, this.schemaName);
  }

  async get<T>(kind: string, id: string): Promise<StoredRecord<T> | undefined> {
    const row = (await this.db.query(this.sql.get, [kind, id, Date.now()])).rows[0];
    return row && toRecord<T>(row);
  }

  async set(kind: string, id: string, value: unknown, ttlSeconds?: number): Promise<void> {
    const json = encodeValue(value);
    await this.db.query(this.sql.set, [kind, id, json, expiryFor(ttlSeconds, Date.now()) ?? null]);
  }

  async delete(kind: string, id: string): Promise<void> {
    await this.db.query(this.sql.delete, [kind, id]);
  }

  async consume(kind: string, id: string): Promise<boolean> {
    return (await this.db.query(this.sql.consume, [Date.now(), kind, id])).rowCount === 1;
  }

  async list<T>(kind: string): Promise<Array<{ id: string } & StoredRecord<T>>> {
    const { rows } = await this.db.query(this.sql.list, [kind, Date.now()]);
    return rows.map((row: Row) => ({ id: String(row.id), ...toRecord<T>(row) }));
  }

  async addToGroup(group: string, member: string, ttlSeconds?: number): Promise<void> {
    await this.db.query(this.sql.addToGroup, [group, member, expiryFor(ttlSeconds, Date.now()) ?? null]);
  }

  async members(group: string): Promise<string[]> {
    return (await this.db.query(this.sql.members, [group, Date.now()])).rows.map((row: Row) => String(row.member));
  }

  async deleteGroup(group: string): Promise<void> {
    await this.db.query(this.sql.deleteGroup, [group]);
  }

  async purgeGroup(group: string): Promise<void> {
    await this.db.query(this.sql.purgeGroup, [group, Date.now()]);
  }

  async setIfAbsent(kind: string, id: string, value: unknown, ttlSeconds?: number): Promise<boolean> {
    const now = Date.now();
    const json = encodeValue(value);
    const result = await this.db.query(this.sql.setIfAbsent, [kind, id, json, expiryFor(ttlSeconds, now) ?? null, now]);
    return result.rowCount === 1;
  }

  async increment(counter: string, windowSeconds: number): Promise<{ count: number; resetInMs: number }> {
    const windowMs = windowMsFor(windowSeconds);
    const now = Date.now();
    const row = (await this.db.query(this.sql.increment, [counter, now + windowMs, now])).rows[0] as Row | undefined;
    if (!row) throw new Error('counter upsert returned no row');
    return { count: Number(row.count), resetInMs: Number(row.reset_at) - now };
  }

  async *entries(): AsyncIterable<StoreEntry> {
    for await (const row of this.pages(this.sql.firstRecords, this.sql.nextRecords, 'kind', 'id')) {
      if (!liveRow(row)) continue; // ran out while the consumer was busy
      yield { type: 'record', kind: String(row.kind), id: String(row.id), record: toRecord<unknown>(row) };
    }
    for await (const row of this.pages(this.sql.firstMembers, this.sql.nextMembers, 'grp', 'member')) {
      if (!liveRow(row)) continue;
      const entry: StoreEntry = { type: 'member', group: String(row.grp), member: String(row.member) };
      if (row.expires_at !== null) entry.expiresAt = Number(row.expires_at);
      yield entry;
    }
  }

  async ping(): Promise<void> {
    await this.db.query(this.sql.ping);
  }

  /** Delete expired rows now, batch by batch. Runs on the timer; exposed for tests and maintenance. */
  async sweep(): Promise<void> {
    for (const statement of [this.sql.sweepRecords, this.sql.sweepMembers, this.sql.sweepCounters]) {
      // Batch after batch, each its own short statement, so requests interleave with a long sweep.
      let deleted = BATCH;
      while (deleted >= BATCH && !this.db.closed) deleted = (await this.db.query(statement, [Date.now()])).rowCount ?? 0;
    }
  }

  /** Sweep on a timer that never keeps the process alive; one sweep at a time. */
  startSweeping(intervalMs: number): void {
    if (this.sweepTimer || this.db.closed) return;
    this.sweepTimer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = true;
      // An outage just means the next sweep does the work; reads never return expired rows anyway.
      this.sweep()
        .catch(() => {})
        .finally(() => (this.sweeping = false));
    }, intervalMs);
    this.sweepTimer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.db.close();
  }

  /** The rows of a keyset-paged query, page by page; `a` and `b` are the key columns the next page starts after. */
  private async *pages(first: string, next: string, a: string, b: string): AsyncGenerator<Row> {
    let rows = (await this.db.query(first, [Date.now()])).rows as Row[];
    while (rows.length > 0) {
      yield* rows;
      if (rows.length < BATCH) return;
      const last = rows[rows.length - 1]!;
      rows = (await this.db.query(next, [Date.now(), last[a], last[b]])).rows as Row[];
    }
  }
}
