import { readdirSync, readFileSync } from 'node:fs';
import type { PostgresConnection } from './connection.js';

/**
 * Schema migrations in `./migrations/`, named `NNN-what.sql` and applied in order: migration N upgrades version
 * N-1 to N. Append new files; never edit old ones. Read relative to this module, so they load from `src/` and
 * from `dist/` (the build copies the `.sql` files next to the compiled code).
 */
const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(): Migration[] {
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((file) => file.endsWith('.sql'))
    .sort();
  return files.map((file, index) => {
    const version = Number(/^(\d{3})-[a-z0-9-]+\.sql$/.exec(file)?.[1]);
    if (version !== index + 1) throw new Error(`PostgreSQL migration ${file} is out of sequence: expected ${String(index + 1).padStart(3, '0')}-….sql`);
    return { version, name: file.replace(/\.sql$/, ''), sql: readFileSync(new URL(file, MIGRATIONS_DIR), 'utf8') };
  });
}

const MIGRATIONS = loadMigrations();

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Bring the deployment's schema up to date, creating it if needed. One transaction under an advisory lock per
 * schema, so replicas starting together migrate once between them and nobody ever sees half a migration
 * (PostgreSQL's DDL is transactional). `schema` is the quoted identifier, `schemaName` its plain text.
 */
export async function migrate(connection: PostgresConnection, schema: string, schemaName: string): Promise<void> {
  await connection.transaction(async (run) => {
    await run('SELECT pg_advisory_xact_lock(hashtext($1))', [`gatehouse migrate ${schemaName}`]);
    // Created only when missing: CREATE SCHEMA IF NOT EXISTS would still need the CREATE privilege on the database.
    const exists = await run('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schemaName]);
    if (exists.rowCount === 0) await run(`CREATE SCHEMA ${schema}`);
    await run(
      `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
         version    integer     PRIMARY KEY,
         name       text        NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const current = Number((await run(`SELECT coalesce(max(version), 0) AS version FROM ${schema}.schema_migrations`)).rows[0]?.version ?? 0);
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `PostgreSQL schema ${schemaName} is at version ${current}, newer than this gatehouse supports (${SCHEMA_VERSION}): run the gatehouse version that wrote it, or a newer one`,
      );
    }
    for (const migration of MIGRATIONS.slice(current)) {
      await run(`SET LOCAL search_path TO ${schema}`);
      await run(migration.sql);
      await run(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
    }
  });
}
