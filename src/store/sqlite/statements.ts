import type { DatabaseSync, StatementSync } from 'node:sqlite';

/** The condition that hides expired rows; its one parameter is the current time in ms. */
export const LIVE = '(expires_at IS NULL OR expires_at > ?)';

export type Statements = ReturnType<typeof prepareStatements>;

/** Statements are compiled once per connection and reused for every call. */
export function prepareStatements(db: DatabaseSync) {
  return {
    get: db.prepare(`SELECT value, expires_at, consumed_at FROM records WHERE kind = ? AND id = ? AND ${LIVE}`),
    set: db.prepare(
      `INSERT INTO records (kind, id, value, expires_at, consumed_at) VALUES (?, ?, ?, ?, NULL)
       ON CONFLICT (kind, id) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, consumed_at = NULL`,
    ),
    delete: db.prepare('DELETE FROM records WHERE kind = ? AND id = ?'),
    consume: db.prepare(`UPDATE records SET consumed_at = ? WHERE kind = ? AND id = ? AND consumed_at IS NULL AND ${LIVE}`),
    list: db.prepare(`SELECT id, value, expires_at, consumed_at FROM records WHERE kind = ? AND ${LIVE}`),
    addToGroup: db.prepare(
      `INSERT INTO group_members (grp, member, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (grp, member) DO UPDATE SET expires_at = excluded.expires_at`,
    ),
    members: db.prepare(`SELECT member FROM group_members WHERE grp = ? AND ${LIVE}`),
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
