import { readFileSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';

/**
 * Schema migrations in `./migrations/`, in order: step N upgrades `user_version` N-1 to N. Append new files;
 * never edit old ones. Read relative to this module, so they load from `src/` and from `dist/` (the build copies
 * the `.sql` files next to the compiled code).
 */
const MIGRATION_FILES = ['001-records-and-groups.sql', '002-counters.sql'] as const;

const MIGRATIONS: readonly string[] = MIGRATION_FILES.map((file) => readFileSync(new URL(`./migrations/${file}`, import.meta.url), 'utf8'));

/** Bring the schema up to date. IMMEDIATE takes the write lock first, so two processes starting together don't both migrate. */
export function migrate(db: DatabaseSync): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    const version = Number(db.prepare('PRAGMA user_version').get()?.user_version ?? 0);
    if (version > MIGRATIONS.length) {
      throw new Error(
        `database schema version ${version} is newer than this gatehouse supports (${MIGRATIONS.length}): run the gatehouse version that wrote it, or a newer one`,
      );
    }
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v] ?? '');
    if (version !== MIGRATIONS.length) db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}
