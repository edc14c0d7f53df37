import type { Store, StoreEntry, StoredRecord } from '../contract/store.js';
import { StoreUnavailableError } from '../contract/store.js';
import { encodeValue, expiryFor, windowMsFor } from '../contract/values.js';
import { RedisConnection, SCAN_BATCH, type RedisConnectionOptions } from './connection.js';
import { DEFAULT_KEY_PREFIX, KeyLayout, kindFromTag, kindTag } from './keys.js';
import { recordsFromReply, toRecord } from './replies.js';
import { scripts } from './scripts.js';
import { parseRedisUrl, type RedisTarget } from './url.js';

export interface RedisStoreOptions extends RedisConnectionOptions {
  /**
   * Namespace for every key (default `gatehouse`). Deployments sharing one Redis need different prefixes;
   * replicas of one deployment must share it. Braces are not allowed: the prefix becomes a hash tag.
   */
  prefix?: string;
}

/** Ids in a kind index are pruned by score only this long after they expired (the values' own expiry decides). */
const INDEX_PRUNE_SLACK_MS = 60_000;
/** A group key outlives its last member's expiry by this much, so clock skew never drops live members. */
const GROUP_EXPIRY_SLACK_MS = 60_000;

/**
 * Open a Redis-backed store on `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS). Waits for the
 * first connection (up to the connect timeout) so a wrong address or password fails at startup with a
 * StoreUnavailableError; after that, outages make calls fail fast while the client reconnects in the background.
 */
export async function openRedisStore(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
  const store = new RedisStore(parseRedisUrl(url), options);
  await store.ready();
  return store;
}

/** The Store operations on Redis: each one a single command or Lua script, so each is atomic (keys.ts has the layout). */
export class RedisStore implements Store {
  private readonly keys: KeyLayout;
  private readonly redis: RedisConnection;

  /** Prefer openRedisStore, which also waits for the first connection. */
  constructor(target: RedisTarget, options: RedisStoreOptions = {}) {
    this.keys = new KeyLayout(options.prefix ?? DEFAULT_KEY_PREFIX);
    this.redis = new RedisConnection(target, options);
  }

  /** Resolves once connected; rejects with StoreUnavailableError (and closes) if that takes longer than the connect timeout. */
  ready(): Promise<void> {
    return this.redis.ready();
  }

  async get<T>(kind: string, id: string): Promise<StoredRecord<T> | undefined> {
    const reply = (await this.redis.script(scripts.get, [this.keys.value(kind, id), this.keys.mark(kind, id)])) as [string, string | null, number] | null;
    if (!reply) return undefined;
    return toRecord<T>(reply[0], reply[1], reply[2], Date.now());
  }

  async set(kind: string, id: string, value: unknown, ttlSeconds?: number): Promise<void> {
    const write = prepareWrite(value, ttlSeconds);
    if (write.expired) return this.delete(kind, id); // a TTL of zero or less replaces the record with nothing
    await this.redis.script(scripts.set, this.keys.record(kind, id), [write.json, write.ttl, id, write.score, write.pruneBefore]);
  }

  async delete(kind: string, id: string): Promise<void> {
    await this.redis.script(scripts.delete, this.keys.record(kind, id), [id]);
  }

  async consume(kind: string, id: string): Promise<boolean> {
    const keys = [this.keys.value(kind, id), this.keys.mark(kind, id)];
    return (await this.redis.script(scripts.consume, keys, [Date.now()])) === 1;
  }

  async list<T>(kind: string): Promise<Array<{ id: string } & StoredRecord<T>>> {
    const tag = kindTag(kind);
    const reply = (await this.redis.script(scripts.list, [this.keys.kindIndex(tag)], [this.keys.valuePrefix(tag), this.keys.markPrefix(tag)])) as Array<
      string | number | null
    >;
    return recordsFromReply<T>(reply, Date.now());
  }

  async addToGroup(group: string, member: string, ttlSeconds?: number): Promise<void> {
    const now = Date.now();
    const expiresAt = expiryFor(ttlSeconds, now);
    await this.redis.script(scripts.addToGroup, [this.keys.group(group)], [expiresAt ?? '+inf', member, now, GROUP_EXPIRY_SLACK_MS]);
  }

  async members(group: string): Promise<string[]> {
    const now = Date.now();
    return this.redis.call(() => this.redis.client.zrangebyscore(this.keys.group(group), `(${now}`, '+inf'));
  }

  async deleteGroup(group: string): Promise<void> {
    await this.redis.call(() => this.redis.client.del(this.keys.group(group)));
  }

  async purgeGroup(group: string): Promise<void> {
    await this.redis.script(scripts.purgeGroup, [this.keys.group(group)], [this.keys.base, Date.now()]);
  }

  async setIfAbsent(kind: string, id: string, value: unknown, ttlSeconds?: number): Promise<boolean> {
    const write = prepareWrite(value, ttlSeconds);
    if (write.expired) {
      // Nothing to write (it would be expired at once); the answer is still whether a live record was there.
      return (await this.redis.call(() => this.redis.client.exists(this.keys.value(kind, id)))) === 0;
    }
    const args = [write.json, write.ttl, id, write.score, write.pruneBefore];
    return (await this.redis.script(scripts.setIfAbsent, this.keys.record(kind, id), args)) === 1;
  }

  async increment(counter: string, windowSeconds: number): Promise<{ count: number; resetInMs: number }> {
    const windowMs = windowMsFor(windowSeconds);
    const reply = (await this.redis.script(scripts.increment, [this.keys.counter(counter)], [windowMs])) as [number, number];
    return { count: Number(reply[0]), resetInMs: Number(reply[1]) };
  }

  async *entries(): AsyncIterable<StoreEntry> {
    // Records: every kind index (found by SCAN, never KEYS), walked with ZSCAN, its ids read in batches. SCAN and
    // ZSCAN may return something twice (when Redis rehashes meanwhile), hence the sets of names already reported.
    const indexBase = this.keys.kindIndexPrefix;
    for await (const indexKey of this.redis.scanKeys(indexBase)) {
      const tag = indexKey.slice(indexBase.length);
      const kind = kindFromTag(tag);
      const seen = new Set<string>();
      for await (const pairs of this.redis.zscan(indexKey)) {
        const ids: string[] = [];
        for (let i = 0; i < pairs.length; i += 2) {
          const id = pairs[i] as string;
          if (!seen.has(id)) ids.push(id);
          seen.add(id);
        }
        for (let start = 0; start < ids.length; start += SCAN_BATCH) {
          const args = [this.keys.valuePrefix(tag), this.keys.markPrefix(tag), ...ids.slice(start, start + SCAN_BATCH)];
          const reply = (await this.redis.script(scripts.readRecords, [indexKey], args)) as Array<string | number | null>;
          for (const { id, ...record } of recordsFromReply<unknown>(reply, Date.now())) {
            yield { type: 'record', kind, id, record };
          }
        }
      }
    }
    // Groups: every group key, walked with ZSCAN; the score is the membership's expiry (inf for none).
    const groupBase = this.keys.groupPrefix;
    for await (const groupKey of this.redis.scanKeys(groupBase)) {
      const group = groupKey.slice(groupBase.length);
      const seen = new Set<string>();
      for await (const pairs of this.redis.zscan(groupKey)) {
        const now = Date.now();
        for (let i = 0; i + 1 < pairs.length; i += 2) {
          const member = pairs[i] as string;
          const score = pairs[i + 1] as string;
          if (seen.has(member)) continue;
          seen.add(member);
          if (score === 'inf' || score === '+inf') {
            yield { type: 'member', group, member };
          } else if (Number(score) > now) {
            yield { type: 'member', group, member, expiresAt: Number(score) };
          }
        }
      }
    }
  }

  async ping(): Promise<void> {
    if (this.redis.closed) throw new StoreUnavailableError('the Redis store is closed');
    await this.redis.call(() => this.redis.client.ping());
  }

  close(): Promise<void> {
    return this.redis.close();
  }
}

/** Validate and encode before any I/O, so bad input throws TypeError/RangeError exactly as in the other stores. */
function prepareWrite(value: unknown, ttlSeconds: number | undefined) {
  const json = encodeValue(value);
  const now = Date.now();
  const expiresAt = expiryFor(ttlSeconds, now);
  const ttlMs = expiresAt === undefined ? undefined : expiresAt - now;
  return {
    json,
    expired: ttlMs !== undefined && ttlMs <= 0,
    ttl: ttlMs === undefined ? '' : String(ttlMs),
    score: expiresAt === undefined ? '+inf' : String(expiresAt),
    pruneBefore: String(now - INDEX_PRUNE_SLACK_MS),
  };
}
