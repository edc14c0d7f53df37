/** The store contract: the behaviour every Store backend must share, run by each backend's test file. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreUnavailableError, type Store } from '../../src/store/contract/store.js';

/*
 * TTLs: every backend accepts fractional seconds (rounded to whole milliseconds), so expiry is tested with
 * 0.8 s TTLs and 1.1 s waits; one test also checks a whole 1 s TTL against the clock. The TTL must outlast the
 * reads a test makes while the record is alive: at 0.1 s, a loaded machine (a Redis round trip of 100 ms and more)
 * saw records expire before the test had read them once.
 */
export const SHORT_TTL = 0.8;
export const PAST_SHORT_TTL = 1_100;

export const sorted = (values: string[]) => [...values].sort();

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
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

/** Resolves once `store.ping()` succeeds, polling; fails after `timeoutMs`. */
export async function waitUntilAvailable(store: Store, timeoutMs: number): Promise<void> {
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

/** The behaviour every Store backend must share. */
export function storeContract(name: string, open: () => Promise<Store>): void {
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
