import type { Store, StoreEntry, StoredRecord } from './contract/store.js';
import { decodeValue, encodeValue, expiryFor, isLive, splitMember, windowMsFor } from './contract/values.js';

interface Entry {
  json: string;
  expiresAt?: number;
  consumedAt?: number;
}

/**
 * In-process store for tests and throwaway dev servers. Expired entries are dropped when read rather than by a
 * timer, so nothing keeps the event loop alive. Every check-and-set happens synchronously (before any await), which
 * is what makes `consume` atomic on single-threaded JS.
 */
/** Past this many counters, an increment that opens a new window sweeps out the expired ones. */
const PRUNE_COUNTERS_AT = 1000;

export class MemoryStore implements Store {
  private readonly records = new Map<string, Map<string, Entry>>();
  private readonly groups = new Map<string, Map<string, number | undefined>>();
  private readonly counters = new Map<string, { count: number; resetAt: number }>();

  async get<T>(kind: string, id: string): Promise<StoredRecord<T> | undefined> {
    const entry = this.live(kind, id, Date.now());
    return entry && toRecord<T>(entry);
  }

  async set(kind: string, id: string, value: unknown, ttlSeconds?: number): Promise<void> {
    const entry = newEntry(value, ttlSeconds, Date.now());
    mapIn(this.records, kind).set(id, entry);
  }

  async delete(kind: string, id: string): Promise<void> {
    this.records.get(kind)?.delete(id);
  }

  async consume(kind: string, id: string): Promise<boolean> {
    const now = Date.now();
    const entry = this.live(kind, id, now);
    if (!entry || entry.consumedAt !== undefined) return false;
    entry.consumedAt = now;
    return true;
  }

  async list<T>(kind: string): Promise<Array<{ id: string } & StoredRecord<T>>> {
    const now = Date.now();
    const out: Array<{ id: string } & StoredRecord<T>> = [];
    for (const id of [...(this.records.get(kind)?.keys() ?? [])]) {
      const entry = this.live(kind, id, now);
      if (entry) out.push({ id, ...toRecord<T>(entry) });
    }
    return out;
  }

  async addToGroup(group: string, member: string, ttlSeconds?: number): Promise<void> {
    const expiresAt = expiryFor(ttlSeconds, Date.now());
    mapIn(this.groups, group).set(member, expiresAt);
  }

  async members(group: string): Promise<string[]> {
    const now = Date.now();
    const members = this.groups.get(group);
    if (!members) return [];
    const out: string[] = [];
    for (const [member, expiresAt] of [...members]) {
      if (isLive(expiresAt, now)) out.push(member);
      else members.delete(member);
    }
    return out;
  }

  async deleteGroup(group: string): Promise<void> {
    this.groups.delete(group);
  }

  async purgeGroup(group: string): Promise<void> {
    // Everything below runs before the first await, so no other call can interleave: the purge is atomic.
    const now = Date.now();
    for (const [member, expiresAt] of this.groups.get(group) ?? []) {
      if (!isLive(expiresAt, now)) continue;
      const split = splitMember(member);
      if (split) this.records.get(split.kind)?.delete(split.id);
    }
    this.groups.delete(group);
  }

  async setIfAbsent(kind: string, id: string, value: unknown, ttlSeconds?: number): Promise<boolean> {
    const now = Date.now();
    // Validate and encode first, so a bad value or TTL throws without touching anything.
    const entry = newEntry(value, ttlSeconds, now);
    if (this.live(kind, id, now)) return false;
    mapIn(this.records, kind).set(id, entry);
    return true;
  }

  async increment(counter: string, windowSeconds: number): Promise<{ count: number; resetInMs: number }> {
    const windowMs = windowMsFor(windowSeconds);
    const now = Date.now();
    let state = this.counters.get(counter);
    if (!state || state.resetAt <= now) {
      // A new window: first forget the counters whose window has passed, so memory follows the active keys only.
      if (this.counters.size >= PRUNE_COUNTERS_AT) for (const [key, old] of this.counters) if (old.resetAt <= now) this.counters.delete(key);
      state = { count: 0, resetAt: now + windowMs };
      this.counters.set(counter, state);
    }
    state.count += 1;
    return { count: state.count, resetInMs: state.resetAt - now };
  }

  async *entries(): AsyncIterable<StoreEntry> {
    // Walk a snapshot of the keys, so writes made while the consumer awaits never disturb the iteration; each
    // entry is looked up again (and skipped if it has gone or expired) just before it is handed out.
    for (const [kind, byId] of [...this.records]) {
      for (const id of [...byId.keys()]) {
        const entry = this.live(kind, id, Date.now());
        if (entry) yield { type: 'record', kind, id, record: toRecord<unknown>(entry) };
      }
    }
    for (const [group, snapshot] of [...this.groups]) {
      for (const member of [...snapshot.keys()]) {
        const members = this.groups.get(group);
        if (!members?.has(member)) continue;
        const expiresAt = members.get(member);
        if (!isLive(expiresAt, Date.now())) continue;
        yield expiresAt === undefined ? { type: 'member', group, member } : { type: 'member', group, member, expiresAt };
      }
    }
  }

  async ping(): Promise<void> {
    // Always reachable: the data lives in this process.
  }

  async close(): Promise<void> {
    this.records.clear();
    this.groups.clear();
    this.counters.clear();
  }

  /** The entry if present and unexpired; expired entries are removed on the way. */
  private live(kind: string, id: string, now: number): Entry | undefined {
    const byId = this.records.get(kind);
    const entry = byId?.get(id);
    if (!entry) return undefined;
    if (isLive(entry.expiresAt, now)) return entry;
    byId?.delete(id);
    return undefined;
  }
}

/** The map `outer` keeps under `key`, created empty on first use. */
function mapIn<K, V>(outer: Map<string, Map<K, V>>, key: string): Map<K, V> {
  let inner = outer.get(key);
  if (!inner) {
    inner = new Map();
    outer.set(key, inner);
  }
  return inner;
}

/** A record as stored: validated and encoded, so a bad value or TTL throws before anything is touched. */
function newEntry(value: unknown, ttlSeconds: number | undefined, now: number): Entry {
  const entry: Entry = { json: encodeValue(value) };
  const expiresAt = expiryFor(ttlSeconds, now);
  if (expiresAt !== undefined) entry.expiresAt = expiresAt;
  return entry;
}

function toRecord<T>(entry: Entry): StoredRecord<T> {
  // Decoded afresh on every read so callers can never mutate what is stored.
  const record: StoredRecord<T> = { value: decodeValue<T>(entry.json) };
  if (entry.consumedAt !== undefined) record.consumedAt = entry.consumedAt;
  if (entry.expiresAt !== undefined) record.expiresAt = entry.expiresAt;
  return record;
}
