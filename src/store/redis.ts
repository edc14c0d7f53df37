import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { StoreUnavailableError, type Store, type StoreEntry, type StoredRecord } from './store.js';
import { decodeValue, encodeValue, expiryFor, windowMsFor } from './values.js';

export interface RedisStoreOptions {
  /**
   * Namespace for every key (default `gatehouse`). Deployments sharing one Redis need different prefixes;
   * replicas of one deployment must share it. Braces are not allowed: the prefix becomes a hash tag.
   */
  prefix?: string;
  /** How long to wait for a TCP connection (and, when opening, for the first one) before giving up (default 2000 ms). */
  connectTimeoutMs?: number;
  /** How long one command may take before it fails with StoreUnavailableError (default 1000 ms). */
  commandTimeoutMs?: number;
  /** Upper bound of the reconnect backoff while Redis is unreachable (default 2000 ms). Reconnecting never stops. */
  maxReconnectDelayMs?: number;
}

/*
 * Key layout. Every key starts with `{<prefix>}:`. The braces make the prefix a Redis Cluster hash tag: only the
 * text inside them is hashed, so all keys of one deployment land in the same slot. That is what lets the Lua
 * scripts below touch several keys at once (a record, its consumed mark and its kind index; or every record a
 * group names, whose keys a script can only derive from the group's contents) and still run on a cluster: keys
 * a script builds itself are never declared in KEYS, and a cluster only tolerates that because they hash to the
 * same slot as the declared ones. The price is that one deployment's data lives on a single shard (a cluster
 * then adds availability, not capacity); use different prefixes to spread several deployments over shards.
 *
 *   {p}:v:<kind>:<id>   the record's JSON value (string, Redis expiry = the record's TTL)
 *   {p}:c:<kind>:<id>   consumed mark: consumedAt in ms, with the same expiry as the value
 *   {p}:k:<kind>        kind index for list(): sorted set of ids scored by expiry (ms, +inf for none)
 *   {p}:g:<group>       group: sorted set of members scored by membership expiry (ms, +inf for none)
 *   {p}:n:<counter>     fixed-window counter (integer, expiry = end of the window)
 *
 * `<kind>` has `%` and `:` percent-encoded, so the first colon after it always starts the id.
 */

/** A Lua script run by its SHA1, sent in full only when the server does not have it cached (e.g. after a restart). */
class LuaScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

// KEYS: kind index (declared for routing only). ARGV: value key prefix, mark key prefix, then ids. Flat reply as
// LIST's (id, json, mark, pttl) for those of the ids whose value is still there. Read-only, unlike LIST.
const READ_RECORDS = new LuaScript(`
local out = {}
for i = 3, #ARGV do
  local key = ARGV[1] .. ARGV[i]
  local value = redis.call('GET', key)
  if value then
    out[#out + 1] = ARGV[i]
    out[#out + 1] = value
    out[#out + 1] = redis.call('GET', ARGV[2] .. ARGV[i])
    out[#out + 1] = redis.call('PTTL', key)
  end
end
return out
`);

// KEYS: value, mark. One round trip for value, consumed mark and remaining TTL.
const GET = new LuaScript(`
local value = redis.call('GET', KEYS[1])
if not value then return false end
return {value, redis.call('GET', KEYS[2]), redis.call('PTTL', KEYS[1])}
`);

// KEYS: value, mark, kind index. ARGV: json, ttl ms ('' = none), id, index score, prune-before (ms).
const SET = new LuaScript(`
if ARGV[2] == '' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
redis.call('DEL', KEYS[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[5])
return 1
`);

// Same keys and arguments as SET, but only when no live value exists (SET NX PX). 1 when written.
const SET_IF_ABSENT = new LuaScript(`
local written
if ARGV[2] == '' then
  written = redis.call('SET', KEYS[1], ARGV[1], 'NX')
else
  written = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
end
if not written then return 0 end
redis.call('DEL', KEYS[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[5])
return 1
`);

// KEYS: value, mark, kind index. ARGV: id.
const DELETE = new LuaScript(`
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`);

// KEYS: value, mark. ARGV: now (ms). The mark gets exactly the value's remaining lifetime.
const CONSUME = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 then
  redis.call('SET', KEYS[2], ARGV[1])
elseif ttl > 0 then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ttl)
else
  return 0
end
return 1
`);

// KEYS: kind index. ARGV: value key prefix, mark key prefix. Flat reply: id, json, mark, pttl per live record;
// ids whose value is gone (expired, or deleted by a purge on another kind's behalf) leave the index.
const LIST = new LuaScript(`
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. id
  local value = redis.call('GET', key)
  if value then
    out[#out + 1] = id
    out[#out + 1] = value
    out[#out + 1] = redis.call('GET', ARGV[2] .. id)
    out[#out + 1] = redis.call('PTTL', key)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
`);

// KEYS: group. ARGV: score, member, now (ms), slack (ms). Expired members are dropped, and the group key itself
// expires (with some slack for clock skew between replicas and Redis) once its last member would have.
const ADD_TO_GROUP = new LuaScript(`
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if top[2] == 'inf' then
  redis.call('PERSIST', KEYS[1])
elseif top[2] then
  redis.call('PEXPIREAT', KEYS[1], math.floor(tonumber(top[2])) + tonumber(ARGV[4]))
end
return 1
`);

// KEYS: group. ARGV: key base ('{prefix}:'), now (ms). Deletes every record a live member names, then the group.
const PURGE_GROUP = new LuaScript(`
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[2], '+inf')
for _, member in ipairs(members) do
  local colon = string.find(member, ':', 1, true)
  if colon then
    local kind = string.gsub(string.sub(member, 1, colon - 1), '%%', '%%25')
    local id = string.sub(member, colon + 1)
    redis.call('DEL', ARGV[1] .. 'v:' .. kind .. ':' .. id, ARGV[1] .. 'c:' .. kind .. ':' .. id)
    redis.call('ZREM', ARGV[1] .. 'k:' .. kind, id)
  end
end
redis.call('DEL', KEYS[1])
return #members
`);

// KEYS: counter. ARGV: window (ms). The first hit starts the window; a counter somehow left without expiry gets one.
const INCREMENT = new LuaScript(`
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`);

/** Ids in a kind index are pruned by score only this long after they expired (the values' own expiry decides). */
const INDEX_PRUNE_SLACK_MS = 60_000;
/** How many keys one SCAN (and members one ZSCAN) step asks for, and how many records one READ_RECORDS reads. */
const SCAN_BATCH = 500;
/** A group key outlives its last member's expiry by this much, so clock skew never drops live members. */
const GROUP_EXPIRY_SLACK_MS = 60_000;

/** Server replies that mean "cannot serve right now" rather than "this command is wrong". */
const UNAVAILABLE_REPLIES = new Set([
  'LOADING',
  'BUSY',
  'MASTERDOWN',
  'READONLY',
  'TRYAGAIN',
  'CLUSTERDOWN',
  'MISCONF',
  'OOM',
  'NOREPLICAS',
  'NOAUTH',
  'WRONGPASS',
]);

interface Target {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
}

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

export class RedisStore implements Store {
  private readonly client: Redis;
  private readonly base: string;
  private readonly secret: string | undefined;
  private readonly where: string;
  private readonly connectTimeoutMs: number;
  private lastError: string | undefined;
  private closing: Promise<void> | undefined;

  /** Prefer openRedisStore, which also waits for the first connection. */
  constructor(target: Target, options: RedisStoreOptions = {}) {
    const prefix = options.prefix ?? 'gatehouse';
    if (prefix === '' || /[{}]/.test(prefix)) {
      throw new Error('the Redis key prefix must be non-empty and must not contain "{" or "}"');
    }
    this.base = `{${prefix}}:`;
    this.secret = target.password;
    this.where = `${target.host}:${target.port}`;
    this.connectTimeoutMs = positive(options.connectTimeoutMs, 2000);
    const maxDelay = positive(options.maxReconnectDelayMs, 2000);
    const redisOptions: RedisOptions = {
      host: target.host,
      port: target.port,
      db: target.db,
      connectTimeout: this.connectTimeoutMs,
      commandTimeout: positive(options.commandTimeoutMs, 1000),
      // Fail fast: no queueing while disconnected, and a command in flight when the connection drops is rejected
      // at once instead of being replayed (replaying a consume or an increment could apply it twice).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // Reconnect forever, backing off exponentially up to maxDelay (with jitter so replicas don't stampede).
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt - 1, 16), maxDelay) + Math.floor(Math.random() * 100),
      connectionName: 'gatehouse',
    };
    if (target.username !== undefined) redisOptions.username = target.username;
    if (target.password !== undefined) redisOptions.password = target.password;
    // SNI carries host names only; for an IP address the certificate is still checked against the IP.
    if (target.tls) redisOptions.tls = isIP(target.host) ? {} : { servername: target.host };
    this.client = new Redis(redisOptions);
    // Without a listener ioredis prints every connection error to the console. Keep only a redacted message.
    this.client.on('error', (error: Error) => {
      this.lastError = this.redact(error.message);
    });
  }

  /** Resolves once connected; rejects with StoreUnavailableError (and closes) if that takes longer than the connect timeout. */
  async ready(): Promise<void> {
    if (this.client.status === 'ready') return;
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), this.connectTimeoutMs);
      const onReady = () => done(true);
      const onEnd = () => done(false);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        this.client.off('end', onEnd);
        resolve(ok);
      };
      this.client.once('ready', onReady);
      this.client.once('end', onEnd);
    });
    if (connected) return;
    await this.close();
    throw new StoreUnavailableError(
      `could not connect to Redis at ${this.where} within ${this.connectTimeoutMs} ms${this.lastError ? `: ${this.lastError}` : ''}`,
    );
  }

  async get<T>(kind: string, id: string): Promise<StoredRecord<T> | undefined> {
    const reply = (await this.script(GET, [this.valueKey(kind, id), this.markKey(kind, id)])) as
      | [string, string | null, number]
      | null;
    if (!reply) return undefined;
    return toRecord<T>(reply[0], reply[1], reply[2], Date.now());
  }

  async set(kind: string, id: string, value: unknown, ttlSeconds?: number): Promise<void> {
    const write = this.prepareWrite(value, ttlSeconds);
    if (write.expired) return this.delete(kind, id); // a TTL of zero or less replaces the record with nothing
    await this.script(SET, this.recordKeys(kind, id), [write.json, write.ttl, id, write.score, write.pruneBefore]);
  }

  async delete(kind: string, id: string): Promise<void> {
    await this.script(DELETE, this.recordKeys(kind, id), [id]);
  }

  async consume(kind: string, id: string): Promise<boolean> {
    return (await this.script(CONSUME, [this.valueKey(kind, id), this.markKey(kind, id)], [Date.now()])) === 1;
  }

  async list<T>(kind: string): Promise<Array<{ id: string } & StoredRecord<T>>> {
    const tag = kindTag(kind);
    const reply = (await this.script(LIST, [`${this.base}k:${tag}`], [`${this.base}v:${tag}:`, `${this.base}c:${tag}:`])) as
      Array<string | number | null>;
    const now = Date.now();
    const out: Array<{ id: string } & StoredRecord<T>> = [];
    for (let i = 0; i + 3 < reply.length; i += 4) {
      const [id, json, mark, pttl] = reply.slice(i, i + 4);
      out.push({ id: String(id), ...toRecord<T>(String(json), mark as string | null, Number(pttl), now) });
    }
    return out;
  }

  async addToGroup(group: string, member: string, ttlSeconds?: number): Promise<void> {
    const now = Date.now();
    const expiresAt = expiryFor(ttlSeconds, now);
    await this.script(
      ADD_TO_GROUP,
      [this.groupKey(group)],
      [expiresAt ?? '+inf', member, now, GROUP_EXPIRY_SLACK_MS],
    );
  }

  async members(group: string): Promise<string[]> {
    const now = Date.now();
    return this.call(() => this.client.zrangebyscore(this.groupKey(group), `(${now}`, '+inf'));
  }

  async deleteGroup(group: string): Promise<void> {
    await this.call(() => this.client.del(this.groupKey(group)));
  }

  async purgeGroup(group: string): Promise<void> {
    await this.script(PURGE_GROUP, [this.groupKey(group)], [this.base, Date.now()]);
  }

  async setIfAbsent(kind: string, id: string, value: unknown, ttlSeconds?: number): Promise<boolean> {
    const write = this.prepareWrite(value, ttlSeconds);
    if (write.expired) {
      // Nothing to write (it would be expired at once); the answer is still whether a live record was there.
      return (await this.call(() => this.client.exists(this.valueKey(kind, id)))) === 0;
    }
    const args = [write.json, write.ttl, id, write.score, write.pruneBefore];
    return (await this.script(SET_IF_ABSENT, this.recordKeys(kind, id), args)) === 1;
  }

  async increment(counter: string, windowSeconds: number): Promise<{ count: number; resetInMs: number }> {
    const windowMs = windowMsFor(windowSeconds);
    const reply = (await this.script(INCREMENT, [`${this.base}n:${counter}`], [windowMs])) as [number, number];
    return { count: Number(reply[0]), resetInMs: Number(reply[1]) };
  }

  async *entries(): AsyncIterable<StoreEntry> {
    // Records: every kind index (found by SCAN, never KEYS), walked with ZSCAN, its ids read in batches. SCAN and
    // ZSCAN may return something twice (when Redis rehashes meanwhile), hence the sets of names already reported.
    const indexBase = `${this.base}k:`;
    for await (const indexKey of this.scanKeys(indexBase)) {
      const tag = indexKey.slice(indexBase.length);
      const kind = kindFromTag(tag);
      const seen = new Set<string>();
      for await (const pairs of this.zscan(indexKey)) {
        const ids: string[] = [];
        for (let i = 0; i < pairs.length; i += 2) {
          const id = pairs[i] as string;
          if (!seen.has(id)) ids.push(id);
          seen.add(id);
        }
        for (let start = 0; start < ids.length; start += SCAN_BATCH) {
          const args = [`${this.base}v:${tag}:`, `${this.base}c:${tag}:`, ...ids.slice(start, start + SCAN_BATCH)];
          const reply = (await this.script(READ_RECORDS, [indexKey], args)) as Array<string | number | null>;
          const now = Date.now();
          for (let i = 0; i + 3 < reply.length; i += 4) {
            const [id, json, mark, pttl] = reply.slice(i, i + 4);
            const record = toRecord<unknown>(String(json), mark as string | null, Number(pttl), now);
            yield { type: 'record', kind, id: String(id), record };
          }
        }
      }
    }
    // Groups: every group key, walked with ZSCAN; the score is the membership's expiry (inf for none).
    const groupBase = `${this.base}g:`;
    for await (const groupKey of this.scanKeys(groupBase)) {
      const group = groupKey.slice(groupBase.length);
      const seen = new Set<string>();
      for await (const pairs of this.zscan(groupKey)) {
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
    if (this.closing) throw new StoreUnavailableError('the Redis store is closed');
    await this.call(() => this.client.ping());
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.client.status === 'ready') {
        try {
          await this.client.quit();
          return;
        } catch {
          /* fall through: drop the connection without waiting */
        }
      }
      this.client.disconnect();
    })();
    return this.closing;
  }

  private valueKey(kind: string, id: string): string {
    return `${this.base}v:${kindTag(kind)}:${id}`;
  }

  private markKey(kind: string, id: string): string {
    return `${this.base}c:${kindTag(kind)}:${id}`;
  }

  private recordKeys(kind: string, id: string): string[] {
    return [this.valueKey(kind, id), this.markKey(kind, id), `${this.base}k:${kindTag(kind)}`];
  }

  /** Every key that starts with `start`, each once, by SCAN in batches (so a large keyspace never blocks Redis). */
  private async *scanKeys(start: string): AsyncGenerator<string> {
    const pattern = `${globEscape(start)}*`;
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await this.call(() => this.client.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_BATCH));
      cursor = next;
      for (const key of keys) {
        if (seen.has(key)) continue;
        seen.add(key);
        yield key;
      }
    } while (cursor !== '0');
  }

  /** A sorted set's contents as flat member, score batches (ZSCAN; a member may come up more than once). */
  private async *zscan(key: string): AsyncGenerator<string[]> {
    let cursor = '0';
    do {
      const [next, pairs] = await this.call(() => this.client.zscan(key, cursor, 'COUNT', SCAN_BATCH));
      cursor = next;
      if (pairs.length > 0) yield pairs;
    } while (cursor !== '0');
  }

  private groupKey(group: string): string {
    return `${this.base}g:${group}`;
  }

  /** Validate and encode before any I/O, so bad input throws TypeError/RangeError exactly as in the other stores. */
  private prepareWrite(value: unknown, ttlSeconds: number | undefined) {
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

  private script(script: LuaScript, keys: string[], args: Array<string | number> = []): Promise<unknown> {
    return this.call(async () => {
      try {
        return await this.client.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (error) {
        // The script cache is empty after a Redis restart or failover: send the source once, which caches it again.
        if (!/^NOSCRIPT/.test((error as Error).message)) throw error;
        return await this.client.eval(script.source, keys.length, ...keys, ...args);
      }
    });
  }

  /** Every Redis call goes through here: connection trouble becomes StoreUnavailableError, nothing leaks the password. */
  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw this.translate(error);
    }
  }

  private translate(error: unknown): Error {
    if (error instanceof StoreUnavailableError) return error;
    const message = this.redact(error instanceof Error ? error.message : String(error));
    if (error instanceof Error && error.name === 'ReplyError') {
      const code = /^[A-Z]+/.exec(message)?.[0];
      if (code && UNAVAILABLE_REPLIES.has(code)) return new StoreUnavailableError(`Redis cannot serve requests: ${message}`);
      // A command or script the server refused: a bug, not an outage. A fresh error, so no command arguments ride along.
      return new Error(`Redis refused a store command: ${message}`);
    }
    return new StoreUnavailableError(`Redis at ${this.where} is unavailable: ${message}`);
  }

  private redact(message: string): string {
    return this.secret ? message.split(this.secret).join('***') : message;
  }
}

/** Parse a redis:/rediss: URL without ever echoing it (it may carry a password). */
export function parseRedisUrl(url: string): Target {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new Error('invalid Redis store URL: expected redis://[user:password@]host[:port][/db] or rediss://…');
  }
  const scheme = parsed.protocol.toLowerCase();
  if (scheme !== 'redis:' && scheme !== 'rediss:') throw new Error(`a Redis store URL must start with redis: or rediss:, not ${scheme}`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new Error('the Redis store URL needs a host, e.g. redis://localhost:6379');
  if (parsed.search !== '' || parsed.hash !== '') throw new Error('the Redis store URL takes no query string or fragment');
  const dbText = parsed.pathname.replace(/^\//, '');
  if (!/^\d*$/.test(dbText)) throw new Error('the Redis store URL path must be a database number, e.g. redis://host:6379/0');
  const target: Target = {
    host,
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    db: dbText === '' ? 0 : Number(dbText),
    tls: scheme === 'rediss:',
  };
  try {
    if (parsed.username !== '') target.username = decodeURIComponent(parsed.username);
    if (parsed.password !== '') target.password = decodeURIComponent(parsed.password);
  } catch {
    throw new Error('the Redis store URL has a malformed percent-encoding in its user or password');
  }
  return target;
}

function kindTag(kind: string): string {
  return kind.replace(/%/g, '%25').replace(/:/g, '%3A');
}

/** The kind an index key names: kindTag undone, in one pass so `%253A` comes back as `%3A`. */
function kindFromTag(tag: string): string {
  return tag.replace(/%(25|3A)/g, (escape) => (escape === '%25' ? '%' : ':'));
}

/** `text` as a SCAN MATCH pattern that matches only itself. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

function toRecord<T>(json: string, mark: string | null, pttl: number, now: number): StoredRecord<T> {
  const record: StoredRecord<T> = { value: decodeValue<T>(json) };
  if (mark !== null && mark !== undefined) record.consumedAt = Number(mark);
  // PTTL is relative; it is turned into an absolute time on arrival, so it never claims more life than is left.
  if (pttl >= 0) record.expiresAt = now + pttl;
  return record;
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
