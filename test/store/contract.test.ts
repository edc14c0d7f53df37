import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { MemoryStore } from '../../src/store/memory.js';
import { openRedisStore, type RedisStore } from '../../src/store/redis/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { StoreUnavailableError, type Store } from '../../src/store/contract/store.js';
import { deleteKeysWithPrefixes, freePort, keysWithPrefix, PrivateRedisServer, runPrefix, scanKeys, sharedRedis } from './redis-fixture.js';

/*
 * TTLs: every backend accepts fractional seconds (rounded to whole milliseconds), so expiry is tested with
 * 0.8 s TTLs and 1.1 s waits; one test also checks a whole 1 s TTL against the clock. The TTL must outlast the
 * reads a test makes while the record is alive: at 0.1 s, a loaded machine (a Redis round trip of 100 ms and more)
 * saw records expire before the test had read them once.
 */
const SHORT_TTL = 0.8;
const PAST_SHORT_TTL = 1_100;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const tempRoot = mkdtempSync(join(tmpdir(), 'gatehouse-store-'));
after(() => rmSync(tempRoot, { recursive: true, force: true }));
let fileCounter = 0;
const tempDbPath = () => join(tempRoot, `db-${++fileCounter}`, 'store.db');

const sorted = (values: string[]) => [...values].sort();

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Two absolute expiries agree to within a few milliseconds (Redis reports a relative TTL). */
function assertNear(actual: number | undefined, expected: number | undefined, message: string, toleranceMs = 50): void {
  if (actual === undefined || expected === undefined) {
    assert.equal(actual, expected, message);
    return;
  }
  assert.ok(Math.abs(actual - expected) <= toleranceMs, `${message}: ${actual} vs ${expected}`);
}

/** The behaviour every Store backend must share. */
function storeContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('sets, gets and deletes records', async () => {
      assert.equal(await store.get('Client', 'c1'), undefined);
      await store.set('Client', 'c1', { name: 'one' });
      assert.deepEqual(await store.get('Client', 'c1'), { value: { name: 'one' } });
      await store.delete('Client', 'c1');
      assert.equal(await store.get('Client', 'c1'), undefined);
      await store.delete('Client', 'never-existed');
    });

    it('keeps kinds apart: the same id in two kinds is two records', async () => {
      await store.set('Client', 'x', 'a client');
      await store.set('User', 'x', 'a user');
      assert.equal((await store.get('Client', 'x'))?.value, 'a client');
      assert.equal((await store.get('User', 'x'))?.value, 'a user');
      await store.delete('Client', 'x');
      assert.equal((await store.get('User', 'x'))?.value, 'a user');
    });

    it('replaces a record: new value, new TTL, and no consumed mark', async () => {
      await store.set('Code', 'k', { v: 1 }, 60);
      assert.ok(await store.consume('Code', 'k'));
      await store.set('Code', 'k', { v: 2 });
      const record = await store.get('Code', 'k');
      assert.deepEqual(record, { value: { v: 2 } });
      assert.equal(await store.consume('Code', 'k'), true, 'a replaced record can be consumed again');
    });

    it('reports expiresAt and hides records once their TTL has passed', async () => {
      const before = Date.now();
      await store.set('Session', 'one-second', 'v', 1);
      const record = await store.get('Session', 'one-second');
      assert.ok(record?.expiresAt !== undefined);
      assert.ok(record.expiresAt >= before + 1000 && record.expiresAt <= Date.now() + 1000);

      await store.set('Session', 'short', 'v', SHORT_TTL);
      await store.set('Session', 'forever', 'v');
      await store.set('Session', 'a-minute', 'v', 60);
      assert.equal((await store.get('Session', 'short'))?.value, 'v');
      assert.equal((await store.get('Session', 'forever'))?.expiresAt, undefined);
      await sleep(PAST_SHORT_TTL);
      assert.equal(await store.get('Session', 'short'), undefined);
      assert.equal((await store.get('Session', 'forever'))?.value, 'v');
      assert.equal((await store.get('Session', 'a-minute'))?.value, 'v');
    });

    it('treats a zero or negative TTL as already expired and rejects a non-finite one', async () => {
      await store.set('Session', 'zero', 'v', 0);
      await store.set('Session', 'negative', 'v', -5);
      assert.equal(await store.get('Session', 'zero'), undefined);
      assert.equal(await store.get('Session', 'negative'), undefined);
      await assert.rejects(store.set('Session', 'nan', 'v', Number.NaN), RangeError);
      await assert.rejects(store.set('Session', 'inf', 'v', Number.POSITIVE_INFINITY), RangeError);
    });

    it('lists the live records of one kind only', async () => {
      await store.set('Grant', 'g1', { n: 1 });
      await store.set('Grant', 'g2', { n: 2 }, 60);
      await store.set('Grant', 'g3', { n: 3 }, SHORT_TTL);
      await store.set('Client', 'g4', { n: 4 });
      assert.ok(await store.consume('Grant', 'g1'));
      await sleep(PAST_SHORT_TTL);

      const listed = (await store.list<{ n: number }>('Grant')).sort((a, b) => a.id.localeCompare(b.id));
      assert.deepEqual(
        listed.map((r) => [r.id, r.value.n]),
        [
          ['g1', 1],
          ['g2', 2],
        ],
      );
      assert.equal(typeof listed[0]?.consumedAt, 'number');
      assert.equal(listed[0]?.expiresAt, undefined);
      assert.equal(typeof listed[1]?.expiresAt, 'number');
      assert.equal(listed[1]?.consumedAt, undefined);
      assert.deepEqual(await store.list('Nothing'), []);
    });

    it('consumes a record exactly once and keeps it readable', async () => {
      await store.set('Code', 'c', { grant: 'g' }, 60);
      const before = Date.now();
      assert.equal(await store.consume('Code', 'c'), true);
      assert.equal(await store.consume('Code', 'c'), false);
      const record = await store.get<{ grant: string }>('Code', 'c');
      assert.deepEqual(record?.value, { grant: 'g' });
      assert.ok(record?.consumedAt !== undefined && record.consumedAt >= before && record.consumedAt <= Date.now());
      assert.equal(typeof record?.expiresAt, 'number');
    });

    it('refuses to consume missing, deleted or expired records', async () => {
      assert.equal(await store.consume('Code', 'missing'), false);
      await store.set('Code', 'deleted', 1);
      await store.delete('Code', 'deleted');
      assert.equal(await store.consume('Code', 'deleted'), false);
      await store.set('Code', 'expired', 1, SHORT_TTL);
      await sleep(PAST_SHORT_TTL);
      assert.equal(await store.consume('Code', 'expired'), false);
      await store.set('Other', 'c', 1);
      assert.equal(await store.consume('Code', 'c'), false, 'consume is scoped to the kind');
    });

    it('lets exactly one of 100 concurrent consumers win', async () => {
      await store.set('RefreshToken', 'rt', { family: 'f' }, 60);
      const results = await Promise.all(Array.from({ length: 100 }, () => store.consume('RefreshToken', 'rt')));
      assert.equal(results.filter(Boolean).length, 1);
      // Different records do not interfere with each other.
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.set('RefreshToken', `t${i}`, i)));
      const each = await Promise.all(Array.from({ length: 20 }, (_, i) => store.consume('RefreshToken', `t${i}`)));
      assert.ok(each.every(Boolean));
    });

    it('adds group members, expires them with their TTL and deletes whole groups', async () => {
      assert.deepEqual(await store.members('grant:1'), []);
      await store.addToGroup('grant:1', 'token-a');
      await store.addToGroup('grant:1', 'token-b', 60);
      await store.addToGroup('grant:1', 'token-c', SHORT_TTL);
      await store.addToGroup('grant:1', 'token-a'); // idempotent
      await store.addToGroup('grant:2', 'token-z');
      assert.deepEqual(sorted(await store.members('grant:1')), ['token-a', 'token-b', 'token-c']);
      await sleep(PAST_SHORT_TTL);
      assert.deepEqual(sorted(await store.members('grant:1')), ['token-a', 'token-b']);

      await store.set('AccessToken', 'token-a', 'record');
      await store.deleteGroup('grant:1');
      assert.deepEqual(await store.members('grant:1'), []);
      assert.deepEqual(await store.members('grant:2'), ['token-z']);
      assert.equal((await store.get('AccessToken', 'token-a'))?.value, 'record', 'members records are untouched');
      await store.deleteGroup('never-existed');
    });

    it('re-adding a member replaces its TTL', async () => {
      await store.addToGroup('g', 'm', SHORT_TTL);
      await store.addToGroup('g', 'm');
      await store.addToGroup('g', 'n');
      await store.addToGroup('g', 'n', SHORT_TTL);
      await sleep(PAST_SHORT_TTL);
      assert.deepEqual(await store.members('g'), ['m']);
    });

    it('round-trips arbitrary JSON values and unusual ids', async () => {
      const values: unknown[] = [
        { nested: { deeper: { list: [1, 'two', { three: [null, true, false] }] } }, empty: {}, none: [] },
        'Grüße, 世界 — مرحبا 👩🏽‍💻 e\u0301',
        'quotes " and \' and \\ and\nnewlines\tand a NUL \u0000 byte',
        ['x'.repeat(100_000)],
        0,
        -1.5e-300,
        Number.MAX_SAFE_INTEGER,
        true,
        null,
      ];
      for (const [i, value] of values.entries()) {
        await store.set('Json', `v${i}`, value);
        assert.deepEqual((await store.get('Json', `v${i}`))?.value, value, `value ${i}`);
      }
      for (const id of ["'; DROP TABLE records; --", 'ünïcødé/🔑', '', 'a:b|c%_*']) {
        await store.set('Odd', id, { id });
        assert.deepEqual((await store.get('Odd', id))?.value, { id });
      }
      assert.equal((await store.list('Odd')).length, 4);
    });

    it('stores a copy: mutating a value after set or get changes nothing', async () => {
      const value = { scopes: ['read'] };
      await store.set('Client', 'c', value);
      value.scopes.push('write');
      const read = await store.get<{ scopes: string[] }>('Client', 'c');
      assert.deepEqual(read?.value, { scopes: ['read'] });
      read?.value.scopes.push('admin');
      assert.deepEqual((await store.get('Client', 'c'))?.value, { scopes: ['read'] });
    });

    it('rejects values that are not JSON', async () => {
      await assert.rejects(store.set('Json', 'u', undefined), TypeError);
      await assert.rejects(
        store.set('Json', 'f', () => 1),
        TypeError,
      );
      await assert.rejects(store.set('Json', 'b', { big: 1n }), TypeError);
      assert.equal(await store.get('Json', 'u'), undefined);
    });

    it('purges a group: exactly the records its members name, and the group itself', async () => {
      await store.set('AccessToken', 'a1', 'grant 1');
      await store.set('RefreshToken', 'r1', 'grant 1', 60);
      await store.set('Code', 'with:colons', 'grant 1');
      await store.set('AccessToken', 'a2', 'grant 2');
      await store.set('AccessToken', 'loose', 'no grant');
      await store.set('RefreshToken', 'a1', 'same id, other kind');
      assert.ok(await store.consume('RefreshToken', 'r1'));
      await store.addToGroup('grant:1', 'AccessToken:a1');
      await store.addToGroup('grant:1', 'RefreshToken:r1', 60);
      await store.addToGroup('grant:1', 'Code:with:colons');
      await store.addToGroup('grant:1', 'AccessToken:never-stored');
      await store.addToGroup('grant:2', 'AccessToken:a2');

      await store.purgeGroup('grant:1');
      assert.equal(await store.get('AccessToken', 'a1'), undefined);
      assert.equal(await store.get('RefreshToken', 'r1'), undefined);
      assert.equal(await store.get('Code', 'with:colons'), undefined, 'the id is everything after the first colon');
      assert.deepEqual(await store.members('grant:1'), []);
      assert.deepEqual(sorted((await store.list('AccessToken')).map((r) => r.id)), ['a2', 'loose']);
      assert.deepEqual(await store.list('Code'), []);
      assert.equal((await store.get('RefreshToken', 'a1'))?.value, 'same id, other kind');
      assert.deepEqual(await store.members('grant:2'), ['AccessToken:a2']);
      assert.equal((await store.get('AccessToken', 'a2'))?.value, 'grant 2');

      // A purged id is free again: nothing of the old record (value, consumed mark) is left behind.
      assert.equal(await store.setIfAbsent('RefreshToken', 'r1', 'new'), true);
      assert.deepEqual(await store.get('RefreshToken', 'r1'), { value: 'new' });
      await store.purgeGroup('never-existed');
    });

    it('setIfAbsent creates once, refuses while the record lives, and creates again after expiry or delete', async () => {
      assert.equal(await store.setIfAbsent('Jti', 'j1', { first: true }, SHORT_TTL), true);
      assert.equal(await store.setIfAbsent('Jti', 'j1', { first: false }, 60), false);
      const record = await store.get('Jti', 'j1');
      assert.deepEqual(record?.value, { first: true }, 'the losing write changes nothing');
      assert.ok(record?.expiresAt !== undefined && record.expiresAt <= Date.now() + SHORT_TTL * 1000);
      await sleep(PAST_SHORT_TTL);
      assert.equal(await store.setIfAbsent('Jti', 'j1', { second: true }), true, 'free again after expiry');
      assert.deepEqual(await store.get('Jti', 'j1'), { value: { second: true } });
      assert.deepEqual(
        (await store.list('Jti')).map((r) => r.id),
        ['j1'],
      );

      assert.ok(await store.consume('Jti', 'j1'));
      assert.equal(await store.setIfAbsent('Jti', 'j1', 'x'), false, 'a consumed record is still a live record');
      await store.delete('Jti', 'j1');
      assert.equal(await store.setIfAbsent('Jti', 'j1', 'x'), true);
      assert.deepEqual(await store.get('Jti', 'j1'), { value: 'x' }, 'no consumed mark carried over');

      await store.set('Jti', 'other-kind', 1);
      assert.equal(await store.setIfAbsent('Nonce', 'other-kind', 2), true, 'scoped to the kind');
      await assert.rejects(store.setIfAbsent('Jti', 'bad', undefined), TypeError);
      await assert.rejects(store.setIfAbsent('Jti', 'bad', 1, Number.NaN), RangeError);
      assert.equal(await store.get('Jti', 'bad'), undefined);
    });

    it('lets exactly one of 100 concurrent setIfAbsent callers win', async () => {
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => store.setIfAbsent('Nonce', 'n', { writer: i }, 60)));
      assert.equal(results.filter(Boolean).length, 1);
      const winner = results.indexOf(true);
      assert.deepEqual((await store.get('Nonce', 'n'))?.value, { writer: winner });
    });

    it('increments a counter within its window and starts over after it', async () => {
      const window = 0.5;
      const first = await store.increment('login:ip', window);
      assert.equal(first.count, 1);
      assert.ok(first.resetInMs > 0 && first.resetInMs <= 500, String(first.resetInMs));
      assert.equal((await store.increment('login:ip', window)).count, 2);
      const third = await store.increment('login:ip', window);
      assert.equal(third.count, 3);
      assert.ok(third.resetInMs <= first.resetInMs, 'the window does not move with later hits');
      assert.equal((await store.increment('login:other', window)).count, 1, 'counters are independent');

      await sleep(600);
      const fresh = await store.increment('login:ip', window);
      assert.equal(fresh.count, 1);
      assert.ok(fresh.resetInMs > 300 && fresh.resetInMs <= 500, String(fresh.resetInMs));

      const concurrent = await Promise.all(Array.from({ length: 50 }, () => store.increment('burst', 60)));
      assert.deepEqual(
        concurrent.map((r) => r.count).sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      await assert.rejects(store.increment('bad', 0), RangeError);
      await assert.rejects(store.increment('bad', Number.POSITIVE_INFINITY), RangeError);
    });

    it('streams every live record and membership through entries(), and nothing else', async () => {
      await store.set('User', 'u1', { email: 'ada@example.com' });
      await store.set('Client', 'c1', { name: 'one' }, 60);
      await store.set('Client', 'u1', 'same id, other kind');
      await store.set('Code', 'spent', { grant: 'g' }, 60);
      await store.set('RefreshToken', 'spent-forever', { family: 'f' });
      assert.ok(await store.consume('Code', 'spent'));
      assert.ok(await store.consume('RefreshToken', 'spent-forever'));
      await store.set('Odd:kind%3A', 'id:with:colons', 'odd');
      await store.set('Session', 'short', 'gone soon', SHORT_TTL);
      await store.set('Session', 'deleted', 'gone');
      await store.delete('Session', 'deleted');
      await store.addToGroup('grant:1', 'Code:spent', 60);
      await store.addToGroup('grant:1', 'RefreshToken:spent-forever');
      await store.addToGroup('grant:1', 'Session:short', SHORT_TTL);
      await store.addToGroup('grant:2', 'User:u1');
      await store.addToGroup('grant:gone', 'x');
      await store.deleteGroup('grant:gone');
      await store.addToGroup('only-expired', 'y', SHORT_TTL);
      await store.increment('rate:ip', 60);
      await sleep(PAST_SHORT_TTL);

      const entries = await collect(store.entries());
      const records = entries.filter((e) => e.type === 'record');
      const members = entries.filter((e) => e.type === 'member');
      assert.deepEqual(sorted(records.map((e) => `${e.kind}/${e.id}`)), [
        'Client/c1',
        'Client/u1',
        'Code/spent',
        'Odd:kind%3A/id:with:colons',
        'RefreshToken/spent-forever',
        'User/u1',
      ]);
      for (const entry of records) {
        const stored = await store.get(entry.kind, entry.id);
        assert.ok(stored, `${entry.kind}/${entry.id}`);
        assert.deepEqual(entry.record.value, stored.value);
        assert.equal(entry.record.consumedAt, stored.consumedAt, `${entry.kind}/${entry.id} consumedAt`);
        assert.equal(entry.record.expiresAt === undefined, stored.expiresAt === undefined);
        assertNear(entry.record.expiresAt, stored.expiresAt, `${entry.kind}/${entry.id} expiresAt`);
      }
      const byName = new Map(records.map((e) => [`${e.kind}/${e.id}`, e.record]));
      assert.equal(typeof byName.get('Code/spent')?.consumedAt, 'number');
      assert.equal(typeof byName.get('Code/spent')?.expiresAt, 'number');
      assert.equal(typeof byName.get('RefreshToken/spent-forever')?.consumedAt, 'number');
      assert.equal(byName.get('RefreshToken/spent-forever')?.expiresAt, undefined);
      assert.deepEqual(byName.get('User/u1'), { value: { email: 'ada@example.com' } });

      assert.deepEqual(sorted(members.map((e) => `${e.group} ${e.member}`)), ['grant:1 Code:spent', 'grant:1 RefreshToken:spent-forever', 'grant:2 User:u1']);
      const spentMember = members.find((e) => e.member === 'Code:spent');
      assert.ok(spentMember?.expiresAt !== undefined && Math.abs(spentMember.expiresAt - (Date.now() + 60_000)) < 5000);
      assert.ok(members.filter((e) => e.member !== 'Code:spent').every((e) => e.expiresAt === undefined));
      assert.ok(!('expiresAt' in (members.find((e) => e.group === 'grant:2') ?? {})), 'no expiresAt key for a permanent member');
    });

    it('entries() covers stores larger than one batch, each entry once', async () => {
      const kinds = ['Grant', 'AccessToken', 'Interaction'];
      const perKind = 700;
      for (const kind of kinds) {
        for (let i = 0; i < perKind; i += 100) {
          await Promise.all(Array.from({ length: 100 }, (_, j) => store.set(kind, `${kind}-${i + j}`, { n: i + j }, (i + j) % 2 ? 600 : undefined)));
        }
      }
      for (let i = 0; i < 600; i += 100) {
        await Promise.all(Array.from({ length: 100 }, (_, j) => store.addToGroup('big', `AccessToken:AccessToken-${i + j}`, 600)));
      }
      await Promise.all(Array.from({ length: 300 }, (_, i) => store.addToGroup(`grant:${i}`, `Grant:Grant-${i}`)));

      const entries = await collect(store.entries());
      const names = entries.map((e) => (e.type === 'record' ? `r ${e.kind}/${e.id}` : `m ${e.group} ${e.member}`));
      assert.equal(new Set(names).size, names.length, 'no entry twice');
      assert.equal(entries.filter((e) => e.type === 'record').length, kinds.length * perKind);
      assert.equal(entries.filter((e) => e.type === 'member').length, 600 + 300);
      for (const entry of entries) {
        if (entry.type !== 'record') continue;
        const n = (entry.record.value as { n: number }).n;
        assert.equal(entry.id, `${entry.kind}-${n}`);
        assert.equal(entry.record.expiresAt === undefined, n % 2 === 0);
      }
    });

    it('entries() can be abandoned early and read twice at once', async () => {
      for (let i = 0; i < 50; i++) await store.set('K', `k${i}`, i);
      for (let i = 0; i < 10; i++) await store.addToGroup('g', `m${i}`);
      let seen = 0;
      for await (const _ of store.entries()) {
        if (++seen === 5) break;
      }
      // Two readers interleaved: neither disturbs the other's position.
      const a = store.entries()[Symbol.asyncIterator]();
      const b = store.entries()[Symbol.asyncIterator]();
      let countA = 0;
      let countB = 0;
      for (;;) {
        const [stepA, stepB] = [await a.next(), await b.next()];
        if (!stepA.done) countA++;
        if (!stepB.done) countB++;
        if (stepA.done && stepB.done) break;
      }
      assert.equal(countA, 60);
      assert.equal(countB, 60);
      // Writing while reading is allowed; the store keeps working afterwards.
      for await (const entry of store.entries()) {
        if (entry.type === 'record') await store.set(entry.kind, entry.id, 'rewritten');
      }
      assert.equal((await store.get('K', 'k0'))?.value, 'rewritten');
      assert.equal((await collect(store.entries())).length, 60);
    });

    it('entries() of an empty store yields nothing', async () => {
      await store.increment('rate', 60);
      assert.deepEqual(await collect(store.entries()), []);
    });

    it('answers ping while the backend is up', async () => {
      await store.ping();
    });

    it('can be closed twice', async () => {
      await store.close();
    });
  });
}

storeContract('memory', async () => new MemoryStore());
storeContract('sqlite (:memory:)', async () => openSqliteStore(':memory:'));
storeContract('sqlite (temp file)', async () => openSqliteStore(tempDbPath()));

/*
 * Redis: the server on 127.0.0.1:6379 when there is one, else a private redis-server for this run. Every store
 * gets a prefix of its own under this run's random prefix, so tests never see each other's keys; all of them
 * are deleted (SCAN + DEL) at the end.
 */
const redis = await sharedRedis();
const usedPrefixes = new Set<string>();
let prefixCounter = 0;
const nextPrefix = () => {
  const prefix = `${runPrefix}-${++prefixCounter}`;
  usedPrefixes.add(prefix);
  return prefix;
};
after(async () => {
  await deleteKeysWithPrefixes(redis.url, usedPrefixes);
  await redis.release();
});

storeContract('redis', async () => openRedisStore(redis.url, { prefix: nextPrefix() }));

/** A raw connection to inspect a database file from outside the store (node:sqlite is already loaded by now). */
function rawDb(path: string): DatabaseSync {
  const { DatabaseSync } = createRequire(import.meta.url)('node:sqlite') as typeof import('node:sqlite');
  return new DatabaseSync(path);
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('SqliteStore', () => {
  it('keeps everything across close and reopen of the same file', async () => {
    const path = tempDbPath();
    const first = openSqliteStore(path);
    await first.set('User', 'u1', { email: 'ada@example.com', name: 'Ada ✓' });
    await first.set('Code', 'c1', 'code', 600);
    await first.set('Code', 'c2', 'code');
    assert.ok(await first.consume('Code', 'c1'));
    await first.addToGroup('grant:1', 'c1', 600);
    await first.addToGroup('grant:1', 'c2');
    const before = await first.get('Code', 'c1');
    await first.close();

    const second = openSqliteStore(path);
    try {
      assert.deepEqual(await second.get('User', 'u1'), { value: { email: 'ada@example.com', name: 'Ada ✓' } });
      assert.deepEqual(await second.get('Code', 'c1'), before);
      assert.equal(await second.consume('Code', 'c1'), false, 'a consumed mark survives a restart');
      assert.equal(await second.consume('Code', 'c2'), true);
      assert.deepEqual(sorted(await second.members('grant:1')), ['c1', 'c2']);
    } finally {
      await second.close();
    }
  });

  it('creates a missing parent directory 0700 and the database, WAL and SHM files 0600', async () => {
    const dir = join(tempRoot, 'private', 'nested');
    const path = join(dir, 'gatehouse.db');
    const store = openSqliteStore(path);
    try {
      await store.set('Client', 'c', 'secret');
      assert.equal(mode(dir), 0o700);
      assert.equal(mode(path), 0o600);
      for (const suffix of ['-wal', '-shm']) {
        if (existsSync(path + suffix)) assert.equal(mode(path + suffix), 0o600, suffix);
      }
    } finally {
      await store.close();
    }
  });

  it('tightens the mode of an existing database file', async () => {
    const path = tempDbPath();
    await openSqliteStore(path).close();
    const { chmodSync } = await import('node:fs');
    chmodSync(path, 0o644);
    await openSqliteStore(path).close();
    assert.equal(mode(path), 0o600);
  });

  it('runs in WAL mode with synchronous=FULL, a busy timeout and a schema version', async () => {
    const path = tempDbPath();
    const store = openSqliteStore(path);
    try {
      // Per-connection settings can only be read on the store's own connection.
      const own = store['db'];
      assert.equal(own.prepare('PRAGMA synchronous').get()?.synchronous, 2, 'FULL');
      assert.ok(Number(own.prepare('PRAGMA busy_timeout').get()?.timeout) > 0);
      const raw = rawDb(path);
      try {
        assert.equal(raw.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal');
        assert.equal(raw.prepare('PRAGMA user_version').get()?.user_version, 2);
      } finally {
        raw.close();
      }
    } finally {
      await store.close();
    }
  });

  it('migrates a version 1 database to version 2 and keeps its records', async () => {
    const path = tempDbPath();
    const first = openSqliteStore(path);
    await first.set('User', 'u1', { name: 'Ada' });
    await first.close();
    // Turn the file back into a version 1 database: the counters table is what version 2 added.
    const raw = rawDb(path);
    raw.exec('DROP TABLE counters; PRAGMA user_version = 1;');
    raw.close();

    const second = openSqliteStore(path);
    try {
      assert.deepEqual((await second.get('User', 'u1'))?.value, { name: 'Ada' });
      assert.equal((await second.increment('c', 60)).count, 1);
      const check = rawDb(path);
      try {
        assert.equal(check.prepare('PRAGMA user_version').get()?.user_version, 2);
      } finally {
        check.close();
      }
    } finally {
      await second.close();
    }
  });

  it('ping rejects with StoreUnavailableError once the store is closed', async () => {
    const store = openSqliteStore(tempDbPath());
    await store.ping();
    await store.close();
    await assert.rejects(store.ping(), StoreUnavailableError);
  });

  it('refuses a database written by a newer schema version', async () => {
    const path = tempDbPath();
    await openSqliteStore(path).close();
    const raw = rawDb(path);
    raw.exec('PRAGMA user_version = 99');
    raw.close();
    assert.throws(() => openSqliteStore(path), /schema version 99 is newer/);
  });

  it('sweeps expired rows out of the file', async () => {
    const path = tempDbPath();
    const store = openSqliteStore(path, { sweepIntervalMs: 50 });
    try {
      await store.set('Code', 'short', 1, SHORT_TTL);
      await store.set('Code', 'long', 1, 600);
      await store.addToGroup('g', 'short', SHORT_TTL);
      await store.addToGroup('g', 'long');
      await store.increment('short-window', SHORT_TTL);
      await store.increment('long-window', 600);
      await sleep(PAST_SHORT_TTL + 100);
      const raw = rawDb(path);
      try {
        assert.deepEqual(
          raw
            .prepare('SELECT id FROM records')
            .all()
            .map((r) => r.id),
          ['long'],
        );
        assert.deepEqual(
          raw
            .prepare('SELECT member FROM group_members')
            .all()
            .map((r) => r.member),
          ['long'],
        );
        assert.deepEqual(
          raw
            .prepare('SELECT name FROM counters')
            .all()
            .map((r) => r.name),
          ['long-window'],
        );
      } finally {
        raw.close();
      }
    } finally {
      await store.close();
    }
  });

  it('two stores on one file see each other and only one wins a consume race', async () => {
    const path = tempDbPath();
    const a = openSqliteStore(path);
    const b = openSqliteStore(path);
    try {
      await a.set('Client', 'from-a', { by: 'a' });
      await b.set('Client', 'from-b', { by: 'b' });
      assert.deepEqual((await b.get('Client', 'from-a'))?.value, { by: 'a' });
      assert.deepEqual((await a.get('Client', 'from-b'))?.value, { by: 'b' });
      await b.addToGroup('grant', 'from-b');
      assert.deepEqual(await a.members('grant'), ['from-b']);
      await a.deleteGroup('grant');
      assert.deepEqual(await b.members('grant'), []);

      await a.set('RefreshToken', 'rt', { family: 'f' }, 60);
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).consume('RefreshToken', 'rt')));
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(typeof (await a.get('RefreshToken', 'rt'))?.consumedAt, 'number');
      assert.deepEqual(await b.get('RefreshToken', 'rt'), await a.get('RefreshToken', 'rt'));

      const claims = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).setIfAbsent('Jti', 'j', i, 60)));
      assert.equal(claims.filter(Boolean).length, 1);
      const hits = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).increment('rate', 60)));
      assert.equal(Math.max(...hits.map((h) => h.count)), 40);
      await a.set('AccessToken', 't', 1);
      await a.addToGroup('grant:x', 'AccessToken:t');
      await b.purgeGroup('grant:x');
      assert.equal(await a.get('AccessToken', 't'), undefined);
      assert.deepEqual(await a.members('grant:x'), []);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('commits the writes of one turn together and acknowledges each only once another connection can read it', async () => {
    const path = tempDbPath();
    const store = openSqliteStore(path);
    const raw = rawDb(path);
    try {
      const seenWhenAcknowledged = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.set('Grant', `g${i}`, i).then(() => raw.prepare('SELECT value FROM records WHERE id = ?').get(`g${i}`)?.value),
        ),
      );
      assert.deepEqual(
        seenWhenAcknowledged,
        Array.from({ length: 50 }, (_, i) => String(i)),
      );
      assert.equal(store['db'].isTransaction, false, 'no transaction is left open after the turn');
    } finally {
      raw.close();
      await store.close();
    }
  });

  it('waits for a write lock held elsewhere without blocking the event loop, and gives up after the busy timeout', async () => {
    const path = tempDbPath();
    const store = openSqliteStore(path, { busyTimeoutMs: 400 });
    const raw = rawDb(path);
    try {
      raw.exec('BEGIN IMMEDIATE');
      let ticks = 0;
      const ticker = setInterval(() => (ticks += 1), 5);
      const write = store.set('Client', 'c', { ok: true });
      await sleep(100);
      raw.exec('COMMIT');
      await write;
      clearInterval(ticker);
      assert.ok(ticks >= 5, `timers kept running while the write waited (${ticks} ticks)`);
      assert.deepEqual((await store.get('Client', 'c'))?.value, { ok: true });

      raw.exec('BEGIN IMMEDIATE');
      const started = Date.now();
      await assert.rejects(store.set('Client', 'd', 1), /locked|busy/i);
      assert.ok(Date.now() - started >= 350, 'it waited for the busy timeout');
      raw.exec('ROLLBACK');
      await store.set('Client', 'd', 2);
      assert.equal((await store.get('Client', 'd'))?.value, 2);
    } finally {
      raw.close();
      await store.close();
    }
  });

  it('separate processes racing on the same codes each consume a code at most once', async () => {
    const path = tempDbPath();
    const codes = 200;
    const setup = openSqliteStore(path);
    for (let i = 0; i < codes; i++) await setup.set('Code', `c${i}`, i, 600);
    await setup.close();

    const script = join(tempRoot, 'racer.mts');
    const storeModule = pathToFileURL(join(repoRoot, 'src/store/sqlite/index.js')).href;
    writeFileSync(
      script,
      `import { openSqliteStore } from ${JSON.stringify(storeModule)};
       const [path, startAt, codes, racer] = process.argv.slice(2);
       const n = Number(codes);
       const store = openSqliteStore(String(path));
       while (Date.now() < Number(startAt)) await new Promise((r) => setTimeout(r, 1));
       const won = [];
       // Each racer walks the codes from a different start and direction, so they collide all over the range.
       for (let i = 0; i < n; i++) {
         const code = (n + Number(racer) * 37 + (Number(racer) % 2 ? i : -i)) % n;
         if (await store.consume('Code', 'c' + code)) won.push(code);
       }
       await store.close();
       process.stdout.write(JSON.stringify(won));`,
    );
    const run = promisify(execFile);
    const startAt = Date.now() + 2000; // after every child has started and opened the database
    const outputs = await Promise.all(
      Array.from({ length: 4 }, (_, racer) =>
        run(process.execPath, ['--import', 'tsx', script, path, String(startAt), String(codes), String(racer)], {
          cwd: repoRoot,
        }),
      ),
    );
    const wins = outputs.flatMap(({ stdout }) => JSON.parse(stdout) as number[]);
    assert.equal(wins.length, codes, 'every code consumed exactly once in total');
    assert.equal(new Set(wins).size, codes);
  });

  it('loads node:sqlite without its ExperimentalWarning, passes other warnings on, and never holds the process open', async () => {
    const script = join(tempRoot, 'warnings.mts');
    const storeModule = pathToFileURL(join(repoRoot, 'src/store/sqlite/index.js')).href;
    writeFileSync(
      script,
      `import { openSqliteStore } from ${JSON.stringify(storeModule)};
       const store = openSqliteStore(process.argv[2] ?? '');
       await store.set('K', 'id', 1);
       process.emitWarning('an unrelated experimental thing', 'ExperimentalWarning');
       // No close(): the sweep timer is unref'd, so the process must still exit.`,
    );
    const { stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, tempDbPath()], {
      cwd: repoRoot,
      timeout: 30_000,
    });
    assert.doesNotMatch(stderr, /SQLite/);
    assert.match(stderr, /an unrelated experimental thing/);
  });

  it('entries() ends with StoreUnavailableError when the store is closed mid-read', async () => {
    const store = openSqliteStore(tempDbPath());
    for (let i = 0; i < 10; i++) await store.set('K', `k${i}`, i);
    const reader = store.entries()[Symbol.asyncIterator]();
    assert.equal((await reader.next()).done, false);
    await store.close();
    await assert.rejects(reader.next(), StoreUnavailableError);
    await assert.rejects(store.entries()[Symbol.asyncIterator]().next(), StoreUnavailableError);
  });

  it('rejects an empty path', () => {
    assert.throws(() => openSqliteStore(''), /must not be empty/);
  });
});

/** A store on `url` under a fresh prefix of this run (cleaned up at the end). */
const redisStoreFor = (url: string, prefix = nextPrefix()) => openRedisStore(url, { prefix });

/** Resolves once `store.ping()` succeeds, polling; fails after `timeoutMs`. */
async function waitUntilAvailable(store: Store, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await store.ping();
      return;
    } catch (error) {
      assert.ok(error instanceof StoreUnavailableError, String(error));
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

describe('RedisStore', () => {
  it('two instances on one prefix share the data, and exactly one of 100 consumes across them wins', async () => {
    const prefix = nextPrefix();
    const a = await redisStoreFor(redis.url, prefix);
    const b = await redisStoreFor(redis.url, prefix);
    const elsewhere = await redisStoreFor(redis.url);
    try {
      await a.set('Client', 'from-a', { by: 'a' }, 60);
      await b.set('Client', 'from-b', { by: 'b' });
      assert.deepEqual((await b.get('Client', 'from-a'))?.value, { by: 'a' });
      assert.deepEqual(sorted((await a.list('Client')).map((r) => r.id)), ['from-a', 'from-b']);
      await b.addToGroup('grant:1', 'Client:from-a');
      assert.deepEqual(await a.members('grant:1'), ['Client:from-a']);
      assert.equal(await elsewhere.get('Client', 'from-a'), undefined, 'another prefix is another deployment');
      assert.deepEqual(await elsewhere.list('Client'), []);

      await a.set('RefreshToken', 'rt', { family: 'f' }, 60);
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).consume('RefreshToken', 'rt')));
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(typeof (await b.get('RefreshToken', 'rt'))?.consumedAt, 'number');

      const claims = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).setIfAbsent('Jti', 'j', i, 60)));
      assert.equal(claims.filter(Boolean).length, 1);
      const hits = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).increment('rate', 60)));
      assert.equal(Math.max(...hits.map((h) => h.count)), 40);

      await b.purgeGroup('grant:1');
      assert.equal(await a.get('Client', 'from-a'), undefined);
      assert.deepEqual(
        (await a.list('Client')).map((r) => r.id),
        ['from-b'],
      );
    } finally {
      await Promise.all([a.close(), b.close(), elsewhere.close()]);
    }
  });

  it('puts every key under {prefix}: and leaves no stray keys behind', async () => {
    const server = await PrivateRedisServer.start();
    const prefix = 'gh-layout';
    const store = await redisStoreFor(server.url(), prefix);
    try {
      await store.set('Code', 'c1', 1, 60);
      assert.ok(await store.consume('Code', 'c1'));
      await store.set('Odd:kind%', 'id:with:colons', 2);
      assert.ok(await store.consume('Odd:kind%', 'id:with:colons'));
      await store.setIfAbsent('Jti', 'j', 3, 60);
      await store.addToGroup('grant:1', 'Code:c1', 60);
      await store.addToGroup('grant:1', 'Odd:kind%:id:with:colons');
      await store.increment('rate:ip', 60);
      await store.list('Code');
      await store.members('grant:1');
      const all = await scanKeys(server.url(), '*');
      assert.ok(all.length >= 7, all.join(', '));
      for (const key of all) assert.ok(key.startsWith(`{${prefix}}:`), key);
      assert.deepEqual(sorted(await keysWithPrefix(server.url(), prefix)), sorted(all));

      // A kind with a colon cannot be purged through a member name (the first colon ends the kind), but
      // deleting it directly and purging the rest removes every record key, mark and index entry.
      await store.delete('Odd:kind%', 'id:with:colons');
      await store.purgeGroup('grant:1');
      await store.delete('Jti', 'j');
      assert.deepEqual(await scanKeys(server.url(), '*'), [`{${prefix}}:n:rate:ip`]);
    } finally {
      await store.close();
      await server.destroy();
    }
  });

  it('entries() walks the keyspace with SCAN (works where KEYS is disabled) and changes nothing', async () => {
    const server = await PrivateRedisServer.start(['--rename-command', 'KEYS', '']);
    const prefix = 'gh-entries';
    const store = await redisStoreFor(server.url(), prefix);
    const other = await redisStoreFor(server.url(), 'gh-entries-other');
    try {
      await store.set('Code', 'c1', 1, 60);
      assert.ok(await store.consume('Code', 'c1'));
      await store.set('Grant', 'gone', 2, SHORT_TTL);
      await store.addToGroup('grant:1', 'Code:c1', 60);
      await store.increment('rate:ip', 60);
      await other.set('Code', 'c2', 'another deployment');
      await other.addToGroup('grant:2', 'Code:c2');
      await sleep(PAST_SHORT_TTL);
      const before = sorted(await scanKeys(server.url(), '*'));
      const entries = await collect(store.entries());
      assert.deepEqual(
        entries.map((e) => (e.type === 'record' ? `${e.kind}/${e.id}` : `${e.group} ${e.member}`)),
        ['Code/c1', 'grant:1 Code:c1'],
      );
      assert.deepEqual(sorted(await scanKeys(server.url(), '*')), before, 'reading left every key as it was');
    } finally {
      await Promise.all([store.close(), other.close()]);
      await server.destroy();
    }
  });

  it('fails fast with StoreUnavailableError while Redis is down, then recovers by itself', async () => {
    const password = 'hunter2-secret';
    const server = await PrivateRedisServer.start(['--requirepass', password]);
    const store = await redisStoreFor(server.url(password));
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['ping', () => store.ping()],
      ['get', () => store.get('Code', 'c')],
      ['set', () => store.set('Code', 'c', 1, 60)],
      ['delete', () => store.delete('Code', 'c')],
      ['consume', () => store.consume('Code', 'c')],
      ['list', () => store.list('Code')],
      ['addToGroup', () => store.addToGroup('g', 'Code:c')],
      ['members', () => store.members('g')],
      ['deleteGroup', () => store.deleteGroup('g')],
      ['purgeGroup', () => store.purgeGroup('g')],
      ['setIfAbsent', () => store.setIfAbsent('Code', 'd', 1)],
      ['increment', () => store.increment('rate', 60)],
    ];
    const expectUnavailable = async (phase: string) => {
      for (const [name, call] of calls) {
        const started = Date.now();
        await assert.rejects(call(), (error: Error) => {
          assert.ok(error instanceof StoreUnavailableError, `${phase} ${name}: ${error.name}: ${error.message}`);
          assert.doesNotMatch(`${error.message} ${error.stack}`, /hunter2/);
          return true;
        });
        assert.ok(Date.now() - started < 2000, `${phase} ${name} took ${Date.now() - started} ms`);
      }
    };
    try {
      await store.set('Code', 'before', 'v');

      // Down: the process is gone, the port refuses connections.
      await server.stop();
      await expectUnavailable('stopped');
      // Back on the same port: the same instance reconnects on its own.
      await server.start();
      await waitUntilAvailable(store, 10_000);
      await store.set('Code', 'after', 'v', 60);
      assert.equal((await store.get('Code', 'after'))?.value, 'v');
      assert.ok(await store.consume('Code', 'after'));

      // Hung: the server still holds the connection but answers nothing; the command timeout gives up.
      server.child?.kill('SIGSTOP');
      try {
        const started = Date.now();
        await assert.rejects(store.get('Code', 'after'), StoreUnavailableError);
        assert.ok(Date.now() - started < 2000, `a hung server took ${Date.now() - started} ms to give up on`);
      } finally {
        server.child?.kill('SIGCONT');
      }
      await waitUntilAvailable(store, 10_000);
      assert.equal(typeof (await store.get('Code', 'after'))?.consumedAt, 'number');
    } finally {
      await store.close();
      await server.destroy();
    }
  });

  it('keeps every record across a restart of a redis-server with an fsynced append-only file', async () => {
    const server = await PrivateRedisServer.start(['--appendonly', 'yes', '--appendfsync', 'always']);
    const prefix = nextPrefix();
    const store = await redisStoreFor(server.url(), prefix);
    try {
      const count = 200;
      for (let i = 0; i < count; i++) await store.set('Grant', `g${i}`, { i }, i % 2 === 0 ? 600 : undefined);
      await store.set('Code', 'used', 'code', 600);
      assert.ok(await store.consume('Code', 'used'));
      assert.ok(await store.setIfAbsent('Jti', 'seen', true, 600));
      await store.addToGroup('grant:1', 'Grant:g1');
      await store.addToGroup('grant:1', 'Grant:g2', 600);
      const usedBefore = await store.get('Code', 'used');

      await server.stop();
      await server.start();
      await waitUntilAvailable(store, 10_000);

      const fresh = await redisStoreFor(server.url(), prefix);
      try {
        for (const reader of [store, fresh]) {
          const grants = await reader.list<{ i: number }>('Grant');
          assert.equal(grants.length, count);
          for (const grant of grants) {
            assert.equal(grant.id, `g${grant.value.i}`);
            assert.equal(grant.expiresAt === undefined, grant.value.i % 2 === 1);
          }
          const used = await reader.get('Code', 'used');
          assert.equal(used?.consumedAt, usedBefore?.consumedAt);
          assert.ok(Math.abs((used?.expiresAt ?? 0) - (usedBefore?.expiresAt ?? 0)) < 5000);
          assert.equal(await reader.consume('Code', 'used'), false, 'the consumed mark survived');
          assert.equal(await reader.setIfAbsent('Jti', 'seen', false), false);
          assert.deepEqual(sorted(await reader.members('grant:1')), ['Grant:g1', 'Grant:g2']);
        }
      } finally {
        await fresh.close();
      }
    } finally {
      await store.close();
      await server.destroy();
    }
  });

  it('refuses to open an unreachable or misconfigured Redis without revealing the password', async () => {
    const closedPort = await freePort();
    const started = Date.now();
    await assert.rejects(openRedisStore(`redis://user:hunter2@127.0.0.1:${closedPort}`, { connectTimeoutMs: 500 }), (error: Error) => {
      assert.ok(error instanceof StoreUnavailableError, error.message);
      assert.ok(error.message.includes(`127.0.0.1:${closedPort}`), error.message);
      assert.doesNotMatch(`${error.message} ${error.stack}`, /hunter2/);
      return true;
    });
    assert.ok(Date.now() - started < 3000);

    const server = await PrivateRedisServer.start(['--requirepass', 'right-password']);
    try {
      await assert.rejects(openRedisStore(server.url('hunter2'), { connectTimeoutMs: 1000 }), (error: Error) => {
        assert.ok(error instanceof StoreUnavailableError, error.message);
        assert.doesNotMatch(`${error.message} ${error.stack}`, /hunter2/);
        return true;
      });
      const store = await openRedisStore(server.url('right-password'), { prefix: nextPrefix() });
      await store.ping();
      await store.close();
      await assert.rejects(store.ping(), StoreUnavailableError);
    } finally {
      await server.destroy();
    }
  });

  it('rejects prefixes that would break the hash tag, and malformed URLs without echoing them', async () => {
    await assert.rejects(openRedisStore(redis.url, { prefix: 'a}b' }), /prefix/);
    await assert.rejects(openRedisStore(redis.url, { prefix: '' }), /prefix/);
    await assert.rejects(openRedisStore('redis://:hunter2@host:notaport'), (error: Error) => {
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
    await assert.rejects(openRedisStore('redis://:hunter2@host/x?y=1'), (error: Error) => {
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
  });
});

// Type-level check: the Redis store is a Store.
const _isStore: (store: RedisStore) => Store = (store) => store;
void _isStore;
