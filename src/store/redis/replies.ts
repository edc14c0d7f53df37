import type { StoredRecord } from '../contract/store.js';
import { decodeValue } from '../contract/values.js';

/** The flat reply of list.lua and read-records.lua (id, json, mark, pttl per record) as records. */
export function recordsFromReply<T>(reply: Array<string | number | null>, now: number): Array<{ id: string } & StoredRecord<T>> {
  const out: Array<{ id: string } & StoredRecord<T>> = [];
  for (let i = 0; i + 3 < reply.length; i += 4) {
    const [id, json, mark, pttl] = reply.slice(i, i + 4);
    out.push({ id: String(id), ...toRecord<T>(String(json), mark as string | null, Number(pttl), now) });
  }
  return out;
}

export function toRecord<T>(json: string, mark: string | null, pttl: number, now: number): StoredRecord<T> {
  const record: StoredRecord<T> = { value: decodeValue<T>(json) };
  if (mark !== null && mark !== undefined) record.consumedAt = Number(mark);
  // PTTL is relative; it is turned into an absolute time on arrival, so it never claims more life than is left.
  if (pttl >= 0) record.expiresAt = now + pttl;
  return record;
}
