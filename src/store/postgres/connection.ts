import pg from 'pg';
import { StoreUnavailableError } from '../contract/store.js';
import type { PostgresTarget } from './url.js';

/** Runs one statement inside a transaction (see PostgresConnection.transaction). */
export type Run = (text: string, values?: unknown[]) => Promise<pg.QueryResult>;

export interface PostgresConnectionOptions {
  /** How long to wait for a new connection before giving up (default 2000 ms). */
  connectTimeoutMs?: number;
  /** How long one statement may take before it fails with StoreUnavailableError (default 5000 ms). */
  queryTimeoutMs?: number;
  /** Connections each store keeps at most (default 10); replicas multiply it, so mind the server's max_connections. */
  poolSize?: number;
}

/**
 * SQLSTATE classes and codes that mean "cannot serve right now" rather than "this statement is wrong": connection
 * trouble, resources, an operator or the server stopping things, authentication, a missing database, a standby that
 * cannot write (a failover under way), and the conflicts a retry resolves.
 */
const UNAVAILABLE_CLASSES = ['08', '28', '3D', '53', '57', '58'];
const UNAVAILABLE_CODES = new Set(['25006', '40001', '40P01', '55P03']);

/**
 * The one pg pool of a PostgreSQL store, and the only way to use it: every statement goes through `query` or
 * `transaction`, so connection trouble becomes StoreUnavailableError and no message ever carries the password.
 * The pool reconnects by itself: a statement after an outage simply opens a new connection.
 */
export class PostgresConnection {
  private readonly pool: pg.Pool;
  private readonly secret: string | undefined;
  readonly where: string;
  private closing: Promise<void> | undefined;

  constructor(target: PostgresTarget, options: PostgresConnectionOptions = {}) {
    this.secret = target.password;
    this.where = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}/${target.database}`;
    const queryTimeoutMs = positive(options.queryTimeoutMs, 5000);
    this.pool = new pg.Pool({
      host: target.host,
      port: target.port,
      database: target.database,
      user: target.user,
      ...(target.password !== undefined && { password: target.password }),
      ssl: target.tls,
      max: Math.floor(positive(options.poolSize, 10)),
      connectionTimeoutMillis: positive(options.connectTimeoutMs, 2000),
      idleTimeoutMillis: 30_000,
      // The server gives up on a slow statement; the client also gives up on a server that answers nothing at all.
      statement_timeout: queryTimeoutMs,
      query_timeout: queryTimeoutMs + 1000,
      keepAlive: true,
      application_name: 'gatehouse',
    });
    // An idle connection that dies (server restart, terminated backend) is reported here; without a listener it
    // would crash the process. The pool drops it and the next statement opens a fresh one.
    this.pool.on('error', () => {});
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** One statement on any pooled connection. */
  async query(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
    if (this.closed) throw new StoreUnavailableError('the PostgreSQL store is closed');
    try {
      return await this.pool.query(text, values);
    } catch (error) {
      throw this.translate(error);
    }
  }

  /**
   * Statements on one connection inside BEGIN … COMMIT, rolled back when `work` throws. `work` runs its statements
   * through the `run` it is given; its own errors (not the database's) pass through unchanged.
   */
  async transaction<T>(work: (run: Run) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError('the PostgreSQL store is closed');
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.translate(error);
    }
    const run: Run = async (text, values = []) => {
      try {
        return await client.query(text, values);
      } catch (error) {
        throw this.translate(error);
      }
    };
    let broken: Error | undefined;
    try {
      await run('BEGIN');
      const result = await work(run);
      await run('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    } finally {
      // A connection whose rollback failed is in an unknown state: destroy it rather than reuse it.
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    this.closing ??= this.pool.end().catch(() => {});
    return this.closing;
  }

  private translate(error: unknown): Error {
    if (error instanceof StoreUnavailableError) return error;
    const message = this.redact(error instanceof Error ? error.message : String(error));
    if (error instanceof pg.DatabaseError) {
      const code = error.code ?? '';
      if (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.some((c) => code.startsWith(c))) {
        return new StoreUnavailableError(`PostgreSQL at ${this.where} cannot serve requests: ${message} (${code})`);
      }
      // A statement the server refused: a bug, not an outage. A fresh error, so no statement parameters ride along.
      return new Error(`PostgreSQL refused a store statement: ${message} (${code})`);
    }
    return new StoreUnavailableError(`PostgreSQL at ${this.where} is unavailable: ${message}`);
  }

  private redact(message: string): string {
    return this.secret ? message.split(this.secret).join('***') : message;
  }
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
