/** PostgreSQL for the tests: a database of their own on the server at 127.0.0.1:5432, dropped afterwards. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** An administrative connection (it may create and drop databases); the server on this machine's standard port by default. */
export const POSTGRES_ADMIN_URL = process.env['GATEHOUSE_TEST_POSTGRES'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** Its name, `gatehouse_test_<pid>_<random>`. */
  name: string;
  /** A store URL for it, e.g. `postgres://postgres@127.0.0.1:5432/gatehouse_test_…`. */
  url: string;
  /** The same database through another host and port (a proxy in front of the server). */
  urlVia(port: number, host?: string): string;
  /** Run SQL on it from outside any store. */
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  /** End every other connection to it (what a server restart or a failover does to the store's pool). */
  terminateConnections(): Promise<number>;
  /** Drop it, ending any connections still open. */
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    // Not a skip: a test that needs PostgreSQL fails, and says what to start.
    throw new Error(
      `PostgreSQL is not reachable at ${new URL(POSTGRES_ADMIN_URL).host} (${(error as Error).message}): start it, or point GATEHOUSE_TEST_POSTGRES at an administrative connection URL`,
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Create a fresh, empty database for this test run. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `gatehouse_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  const urlVia = (port: number, host = '127.0.0.1') => {
    const url = new URL(POSTGRES_ADMIN_URL);
    url.hostname = host;
    url.port = String(port);
    url.pathname = `/${name}`;
    url.search = '';
    return url.href;
  };
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  url.search = '';
  const pool = new pg.Pool({ connectionString: url.href, max: 2 });
  pool.on('error', () => {});
  return {
    name,
    url: url.href,
    urlVia,
    query: (text, values) => pool.query(text, values),
    terminateConnections: async () => {
      const result = await admin((client) =>
        client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]),
      );
      return result.rowCount ?? 0;
    },
    drop: async () => {
      await pool.end().catch(() => {});
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`));
    },
  };
}
