import type { StoredRecord } from './store.js';
import { decodeValue, isLive } from './values.js';

/** A row of a SQL backend (node:sqlite, pg): column name to value, NULL as null. */
export type Row = Record<string, unknown>;

/** Whether a row read a while ago is still live now (reads filter on expiry, but a consumer may be slow). */
export function liveRow(row: Row): boolean {
  return row.expires_at === null || row.expires_at === undefined || isLive(Number(row.expires_at), Date.now());
}

export function toRecord<T>(row: Row): StoredRecord<T> {
  const record: StoredRecord<T> = { value: decodeValue<T>(String(row.value)) };
  if (row.consumed_at !== null && row.consumed_at !== undefined) record.consumedAt = Number(row.consumed_at);
  if (row.expires_at !== null && row.expires_at !== undefined) record.expiresAt = Number(row.expires_at);
  return record;
}
