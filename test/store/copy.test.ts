import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { copyStore, type CopyProgress } from '../../src/store/copy.js';
import { MemoryStore } from '../../src/store/memory.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openRedisStore } from '../../src/store/redis/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store, StoreEntry } from '../../src/store/contract/store.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { deleteKeysWithPrefixes, keysWithPrefix, runPrefix, sharedRedis } from './redis-fixture.js';

const tempRoot = mkdtempSync(join(tmpdir(), 'gatehouse-store-copy-'));
after(() => rmSync(tempRoot, { recursive: true, force: true }));
let fileCounter = 0;
const tempDbPath = () => join(tempRoot, `copy-${++fileCounter}.db`);

const redis = await sharedRedis();
const usedPrefixes = new Set<string>();
let prefixCounter = 0;
const nextPrefix = () => {
  const prefix = `${runPrefix}-copy-${++prefixCounter}`;
  usedPrefixes.add(prefix);
  return prefix;
};
after(async () => {
  await deleteKeysWithPrefixes(redis.url, usedPrefixes);
  await redis.release();
});
const postgres = await createTestDatabase();
after(() => postgres.drop());

/** Expiries survive a copy to within this much (Redis hands out a relative TTL, each hop costs a little). */
const EXPIRY_TOLERANCE_MS = 2000;

interface Snapshot {
  records: Map<string, { value: unknown; consumed: boolean; expiresAt?: number }>;
  members: Map<string, number | undefined>;
}

/** Everything a store holds, keyed `kind/id` and `group member`, read through the ordinary API calls. */
async function snapshot(store: Store): Promise<Snapshot> {
  const records: Snapshot['records'] = new Map();
  const members: Snapshot['members'] = new Map();
  for await (const entry of store.entries()) {
    if (entry.type === 'record') {
      const key = `${entry.kind}/${entry.id}`;
      assert.ok(!records.has(key), `${key} reported twice`);
      const { value, consumedAt, expiresAt } = entry.record;
      records.set(key, { value, consumed: consumedAt !== undefined, ...(expiresAt === undefined ? {} : { expiresAt }) });
    } else {
      const key = `${entry.group} ${entry.member}`;
      assert.ok(!members.has(key), `${key} reported twice`);
      members.set(key, entry.expiresAt);
    }
  }
  return { records, members };
}

function assertSameSnapshot(actual: Snapshot, expected: Snapshot, label: string): void {
  assert.deepEqual([...actual.records.keys()].sort(), [...expected.records.keys()].sort(), `${label}: record keys`);
  for (const [key, want] of expected.records) {
    const got = actual.records.get(key);
    assert.deepEqual(got?.value, want.value, `${label}: ${key} value`);
    assert.equal(got?.consumed, want.consumed, `${label}: ${key} consumed mark`);
    assertExpiry(got?.expiresAt, want.expiresAt, `${label}: ${key}`);
  }
  assert.deepEqual([...actual.members.keys()].sort(), [...expected.members.keys()].sort(), `${label}: memberships`);
  for (const [key, want] of expected.members) assertExpiry(actual.members.get(key), want, `${label}: member ${key}`);
}

function assertExpiry(actual: number | undefined, expected: number | undefined, label: string): void {
  if (expected === undefined) {
    assert.equal(actual, undefined, `${label} should not expire`);
    return;
  }
  assert.ok(actual !== undefined, `${label} lost its expiry`);
  assert.ok(Math.abs(actual - expected) <= EXPIRY_TOLERANCE_MS, `${label} expiry moved: ${actual} vs ${expected}`);
}

/** A store with a bit of everything gatehouse keeps, including things that must not be copied. */
async function fill(store: Store): Promise<void> {
  await store.set('User', 'u1', { email: 'ada@example.com', name: 'Ada ✓', roles: ['admin'] });
  await store.set('Client', 'c1', { redirect_uris: ['https://app.example/cb'], secret: null });
  await store.set('Grant', 'g1', { accountId: 'u1', clientId: 'c1' }, 3600);
  await store.set('AccessToken', 'at1', { grantId: 'g1' }, 600);
  await store.set('RefreshToken', 'rt-spent', { grantId: 'g1' }, 86_400);
  await store.set('RefreshToken', 'rt-live', { grantId: 'g1' }, 86_400);
  await store.set('AuthorizationCode', 'code-spent', { grantId: 'g1' });
  assert.ok(await store.consume('RefreshToken', 'rt-spent'));
  assert.ok(await store.consume('AuthorizationCode', 'code-spent'));
  await store.set('Odd:kind%', 'id:with:colons/ünïcødé 🔑', 'odd but legal');
  await store.set('Interaction', 'short', 'expires before the copy', 0.1);
  for (let i = 0; i < 650; i++) await store.set('Session', `s${i}`, { i }, i % 3 === 0 ? undefined : 1800 + i);
  await store.addToGroup('grant:g1', 'AccessToken:at1', 600);
  await store.addToGroup('grant:g1', 'RefreshToken:rt-spent', 86_400);
  await store.addToGroup('grant:g1', 'RefreshToken:rt-live');
  await store.addToGroup('grant:g1', 'Interaction:short', 0.1);
  await store.addToGroup('account:u1', 'Grant:g1');
  for (let i = 0; i < 200; i++) await store.addToGroup('sessions', `Session:s${i}`, i % 2 ? 1800 : undefined);
  await store.increment('login:127.0.0.1', 60);
  await sleep(300); // the 0.1 s record and membership are gone now
}

describe('copyStore', () => {
  it('round-trips SQLite → Redis → SQLite: records, consumed marks, expiries and groups', async () => {
    const source = openSqliteStore(tempDbPath());
    const prefix = nextPrefix();
    const middle = await openRedisStore(redis.url, { prefix });
    const target = openSqliteStore(tempDbPath());
    try {
      await fill(source);
      const original = await snapshot(source);
      assert.equal(original.records.size, 8 + 650);
      assert.equal(original.members.size, 4 + 200);
      assert.ok(!original.records.has('Interaction/short'));

      const toRedis = await copyStore(source, middle);
      assert.deepEqual(toRedis, { records: 658, members: 204, skipped: 0 });
      assertSameSnapshot(await snapshot(middle), original, 'in Redis');
      const back = await copyStore(middle, target);
      assert.deepEqual(back, { records: 658, members: 204, skipped: 0 });
      assertSameSnapshot(await snapshot(target), original, 'back in SQLite');

      // Spot checks through the ordinary calls, as the server would make them.
      assert.deepEqual((await target.get('User', 'u1'))?.value, { email: 'ada@example.com', name: 'Ada ✓', roles: ['admin'] });
      assert.equal((await target.get('Odd:kind%', 'id:with:colons/ünïcødé 🔑'))?.value, 'odd but legal');
      assert.equal(await target.consume('RefreshToken', 'rt-spent'), false, 'a spent refresh token stays spent');
      assert.equal(await target.consume('AuthorizationCode', 'code-spent'), false);
      assert.equal(await target.consume('RefreshToken', 'rt-live'), true, 'an unspent one can still be used once');
      assert.equal(await middle.consume('RefreshToken', 'rt-spent'), false);
      assert.equal((await target.increment('login:127.0.0.1', 60)).count, 1, 'rate-limit counters are not copied');
      assert.equal((await middle.increment('login:127.0.0.1', 60)).count, 1);
      const grantExpiry = (await source.get('Grant', 'g1'))?.expiresAt ?? 0;
      assert.ok(Math.abs(((await target.get('Grant', 'g1'))?.expiresAt ?? 0) - grantExpiry) <= EXPIRY_TOLERANCE_MS);

      // The purge a revocation does still works on the copies: the group names the copied records.
      await middle.purgeGroup('grant:g1');
      assert.equal(await middle.get('AccessToken', 'at1'), undefined);
      assert.equal(await middle.get('RefreshToken', 'rt-live'), undefined);
    } finally {
      await Promise.all([source.close(), middle.close(), target.close()]);
    }
  });

  it('round-trips SQLite → PostgreSQL → Redis → PostgreSQL: every backend carries everything', async () => {
    const source = openSqliteStore(tempDbPath());
    const inPostgres = await openPostgresStore(postgres.url, { prefix: nextPrefix(), poolSize: 4 });
    const inRedis = await openRedisStore(redis.url, { prefix: nextPrefix() });
    const back = await openPostgresStore(postgres.url, { prefix: nextPrefix(), poolSize: 4 });
    try {
      await fill(source);
      const original = await snapshot(source);
      assert.deepEqual(await copyStore(source, inPostgres), { records: 658, members: 204, skipped: 0 });
      assertSameSnapshot(await snapshot(inPostgres), original, 'in PostgreSQL');
      assert.deepEqual(await copyStore(inPostgres, inRedis), { records: 658, members: 204, skipped: 0 });
      assertSameSnapshot(await snapshot(inRedis), original, 'PostgreSQL to Redis');
      assert.deepEqual(await copyStore(inRedis, back), { records: 658, members: 204, skipped: 0 });
      assertSameSnapshot(await snapshot(back), original, 'Redis to PostgreSQL');
      assert.equal(await back.consume('RefreshToken', 'rt-spent'), false, 'a spent refresh token stays spent');
      assert.equal(await back.consume('RefreshToken', 'rt-live'), true);
      assert.equal((await inPostgres.increment('login:127.0.0.1', 60)).count, 1, 'rate-limit counters are not copied');
      await inPostgres.purgeGroup('grant:g1');
      assert.equal(await inPostgres.get('AccessToken', 'at1'), undefined);
    } finally {
      await Promise.all([source.close(), inPostgres.close(), inRedis.close(), back.close()]);
    }
  });

  it('a second copy changes nothing in effect', async () => {
    const source = openSqliteStore(tempDbPath());
    const prefix = nextPrefix();
    const middle = await openRedisStore(redis.url, { prefix });
    const target = openSqliteStore(tempDbPath());
    try {
      await fill(source);
      await copyStore(source, middle);
      await copyStore(middle, target);
      const redisKeys = (await keysWithPrefix(redis.url, prefix)).sort();
      const inRedis = await snapshot(middle);
      const inTarget = await snapshot(target);

      assert.deepEqual(await copyStore(source, middle), { records: 658, members: 204, skipped: 0 });
      assert.deepEqual(await copyStore(middle, target), { records: 658, members: 204, skipped: 0 });
      assertSameSnapshot(await snapshot(middle), inRedis, 'Redis after a second copy');
      assertSameSnapshot(await snapshot(target), inTarget, 'SQLite after a second copy');
      assert.deepEqual((await keysWithPrefix(redis.url, prefix)).sort(), redisKeys, 'no new Redis keys');
      assert.equal(await target.consume('RefreshToken', 'rt-spent'), false);
    } finally {
      await Promise.all([source.close(), middle.close(), target.close()]);
    }
  });

  it('copies memory → SQLite into a non-empty target, overwriting the same kind and id only', async () => {
    const source = new MemoryStore();
    const target = openSqliteStore(tempDbPath());
    try {
      await fill(source);
      // The target already holds data: one record clashing with a source record (and consumed), one of its own.
      await target.set('RefreshToken', 'rt-live', { stale: true });
      assert.ok(await target.consume('RefreshToken', 'rt-live'));
      await target.set('AuthorizationCode', 'code-spent', { stale: true }, 5);
      await target.set('Client', 'only-in-target', { kept: true });
      await target.addToGroup('grant:g1', 'AccessToken:only-in-target');
      await target.addToGroup('sessions', 'Session:s1', 5);

      const seen: CopyProgress[] = [];
      const result = await copyStore(source, target, { onProgress: (p) => seen.push(p) });
      assert.deepEqual(result, { records: 658, members: 204, skipped: 0 });
      assert.equal(seen.length, 658 + 204);
      assert.deepEqual(seen.at(-1), result);
      assert.ok(seen.every((p, i) => p.records + p.members + p.skipped === i + 1));

      const expected = await snapshot(source);
      expected.records.set('Client/only-in-target', { value: { kept: true }, consumed: false });
      expected.members.set('grant:g1 AccessToken:only-in-target', undefined);
      assertSameSnapshot(await snapshot(target), expected, 'memory → SQLite');
      // The clashing records took the source's value, expiry and consumed mark.
      assert.equal(await target.consume('RefreshToken', 'rt-live'), true, 'the target’s old consumed mark is gone');
      assert.deepEqual(await target.get('AuthorizationCode', 'code-spent').then((r) => [r?.value, r?.expiresAt]), [{ grantId: 'g1' }, undefined]);
    } finally {
      await Promise.all([source.close(), target.close()]);
    }
  });

  it('skips entries that expired between reading and writing, whatever the target backend', async () => {
    const past = Date.now() - 1;
    const stale: StoreEntry[] = [
      { type: 'record', kind: 'Code', id: 'late', record: { value: 1, expiresAt: past } },
      { type: 'record', kind: 'Code', id: 'late-spent', record: { value: 1, expiresAt: past, consumedAt: past - 10 } },
      { type: 'member', group: 'grant:late', member: 'Code:late', expiresAt: past },
      { type: 'record', kind: 'Code', id: 'fine', record: { value: 2, expiresAt: Date.now() + 60_000, consumedAt: past } },
      { type: 'member', group: 'grant:late', member: 'Code:fine' },
    ];
    const source = {
      entries: async function* () {
        yield* stale;
      },
    } as unknown as Store;
    const targets = [
      new MemoryStore(),
      openSqliteStore(tempDbPath()),
      await openRedisStore(redis.url, { prefix: nextPrefix() }),
      await openPostgresStore(postgres.url, { prefix: nextPrefix(), poolSize: 4 }),
    ];
    for (const target of targets) {
      try {
        assert.deepEqual(await copyStore(source, target), { records: 1, members: 1, skipped: 3 });
        const copied = await snapshot(target);
        assert.deepEqual([...copied.records.keys()], ['Code/fine']);
        assert.equal(copied.records.get('Code/fine')?.consumed, true);
        assert.deepEqual([...copied.members.entries()], [['grant:late Code:fine', undefined]]);
      } finally {
        await target.close();
      }
    }
  });

  it('stops at the first failed write and reports it, after the writes under way have settled', async () => {
    const source = new MemoryStore();
    for (let i = 0; i < 100; i++) await source.set('K', `k${i}`, i);
    const target = new MemoryStore();
    let writes = 0;
    const failing = new Proxy(target, {
      get(store, name, receiver) {
        if (name !== 'set') return Reflect.get(store, name, receiver);
        return async (...args: Parameters<Store['set']>) => {
          if (++writes === 20) throw new Error('disk full');
          await sleep(1);
          return store.set(...args);
        };
      },
    });
    await assert.rejects(copyStore(source, failing, { concurrency: 4 }), /disk full/);
    assert.ok(writes < 30, `kept writing after the failure: ${writes}`);
    assert.equal((await snapshot(target)).records.size, writes - 1);

    await assert.rejects(copyStore(source, source), /onto itself/);
    await assert.rejects(copyStore(source, target, { concurrency: 0 }), RangeError);
  });
});
