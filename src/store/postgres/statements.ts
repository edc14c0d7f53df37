/** The condition that hides expired rows; `$now` is the parameter holding the current time in ms. */
const live = (now: string) => `(expires_at IS NULL OR expires_at > ${now})`;

/** How many rows one entries() page reads, and one sweep statement deletes. */
export const BATCH = 500;

export type Statements = ReturnType<typeof statements>;

/**
 * Every statement of the store, on the tables of one schema (`schema` is the quoted identifier). Each operation
 * is a single statement, so each is atomic on its own; times are ms since the epoch, passed in by the caller.
 */
export function statements(schema: string) {
  const records = `${schema}.records`;
  const members = `${schema}.group_members`;
  const counters = `${schema}.counters`;
  return {
    get: `SELECT value, expires_at, consumed_at FROM ${records} WHERE kind = $1 AND id = $2 AND ${live('$3')}`,
    set: `INSERT INTO ${records} (kind, id, value, expires_at, consumed_at) VALUES ($1, $2, $3, $4, NULL)
          ON CONFLICT (kind, id) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, consumed_at = NULL`,
    delete: `DELETE FROM ${records} WHERE kind = $1 AND id = $2`,
    // Racing updates of one row queue on its lock; each re-checks the WHERE on the row the winner left, so only
    // the first sees consumed_at still NULL.
    consume: `UPDATE ${records} SET consumed_at = $1 WHERE kind = $2 AND id = $3 AND consumed_at IS NULL AND ${live('$1')}`,
    list: `SELECT id, value, expires_at, consumed_at FROM ${records} WHERE kind = $1 AND ${live('$2')}`,
    addToGroup: `INSERT INTO ${members} (grp, member, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT (grp, member) DO UPDATE SET expires_at = excluded.expires_at`,
    members: `SELECT member FROM ${members} WHERE grp = $1 AND ${live('$2')}`,
    deleteGroup: `DELETE FROM ${members} WHERE grp = $1`,
    // One statement: the group's rows go, and with them every record a live member names (`<kind>:<id>`, split
    // at the first colon). Both deletes see one snapshot and commit together.
    purgeGroup: `WITH gone AS (DELETE FROM ${members} WHERE grp = $1 RETURNING member, expires_at)
                 DELETE FROM ${records} r USING gone
                 WHERE (gone.expires_at IS NULL OR gone.expires_at > $2) AND strpos(gone.member, ':') > 0
                   AND r.kind = split_part(gone.member, ':', 1) AND r.id = substr(gone.member, strpos(gone.member, ':') + 1)`,
    // Insert, or take over a row whose TTL has passed (the sweep may not have removed it yet).
    setIfAbsent: `INSERT INTO ${records} (kind, id, value, expires_at, consumed_at) VALUES ($1, $2, $3, $4, NULL)
                  ON CONFLICT (kind, id) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, consumed_at = NULL
                  WHERE ${records}.expires_at IS NOT NULL AND ${records}.expires_at <= $5`,
    // A window that has ended restarts at 1; SET expressions all see the row as it was before the update.
    increment: `INSERT INTO ${counters} AS c (name, count, reset_at) VALUES ($1, 1, $2)
                ON CONFLICT (name) DO UPDATE SET
                  count    = CASE WHEN c.reset_at <= $3 THEN 1 ELSE c.count + 1 END,
                  reset_at = CASE WHEN c.reset_at <= $3 THEN excluded.reset_at ELSE c.reset_at END
                RETURNING count, reset_at`,
    // Keyset pages in primary-key order: each page is one short statement, so a long export holds no snapshot
    // or connection between pages, and rows written meanwhile are reported at most once.
    firstRecords: `SELECT kind, id, value, expires_at, consumed_at FROM ${records} WHERE ${live('$1')} ORDER BY kind, id LIMIT ${BATCH}`,
    nextRecords: `SELECT kind, id, value, expires_at, consumed_at FROM ${records}
                  WHERE (kind, id) > ($2, $3) AND ${live('$1')} ORDER BY kind, id LIMIT ${BATCH}`,
    firstMembers: `SELECT grp, member, expires_at FROM ${members} WHERE ${live('$1')} ORDER BY grp, member LIMIT ${BATCH}`,
    nextMembers: `SELECT grp, member, expires_at FROM ${members}
                  WHERE (grp, member) > ($2, $3) AND ${live('$1')} ORDER BY grp, member LIMIT ${BATCH}`,
    ping: 'SELECT 1',
    // The sweep deletes in small batches and skips rows a request holds locked: it never makes a request wait.
    sweepRecords: `DELETE FROM ${records} WHERE (kind, id) IN (
                     SELECT kind, id FROM ${records} WHERE expires_at <= $1 LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)`,
    sweepMembers: `DELETE FROM ${members} WHERE (grp, member) IN (
                     SELECT grp, member FROM ${members} WHERE expires_at <= $1 LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)`,
    sweepCounters: `DELETE FROM ${counters} WHERE name IN (
                      SELECT name FROM ${counters} WHERE reset_at <= $1 LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)`,
  } as const;
}
