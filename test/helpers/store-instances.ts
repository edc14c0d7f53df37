import assert from 'node:assert/strict';
import type { Store } from '../../src/store/contract/store.js';

const alternate = <T>(a: T, b: T, count: number) => Array.from({ length: count }, (_, i) => (i % 2 === 0 ? a : b));

/**
 * Two store instances on one backend (one SQLite file, one Redis prefix, one PostgreSQL schema) act as one store: each reads what
 * the other writes, and every race across them has exactly one winner, as it must for replicas.
 */
export async function expectInstancesActAsOne(a: Store, b: Store): Promise<void> {
  await a.set('Client', 'from-a', { by: 'a' }, 60);
  await b.set('Client', 'from-b', { by: 'b' });
  assert.deepEqual((await b.get('Client', 'from-a'))?.value, { by: 'a' });
  assert.deepEqual((await a.get('Client', 'from-b'))?.value, { by: 'b' });
  assert.deepEqual((await a.list('Client')).map((r) => r.id).sort(), ['from-a', 'from-b']);
  await b.addToGroup('grant', 'from-b');
  assert.deepEqual(await a.members('grant'), ['from-b']);
  await a.deleteGroup('grant');
  assert.deepEqual(await b.members('grant'), []);

  await a.set('RefreshToken', 'rt', { family: 'f' }, 60);
  const consumed = await Promise.all(alternate(a, b, 100).map((store) => store.consume('RefreshToken', 'rt')));
  assert.equal(consumed.filter(Boolean).length, 1, 'one of 100 consumes wins');
  assert.equal(typeof (await a.get('RefreshToken', 'rt'))?.consumedAt, 'number');
  assert.deepEqual(await b.get('RefreshToken', 'rt'), await a.get('RefreshToken', 'rt'));

  const claims = await Promise.all(alternate(a, b, 100).map((store, i) => store.setIfAbsent('Jti', 'j', i, 60)));
  assert.equal(claims.filter(Boolean).length, 1, 'one of 100 claims wins');
  const hits = await Promise.all(alternate(a, b, 40).map((store) => store.increment('rate', 60)));
  assert.equal(Math.max(...hits.map((h) => h.count)), 40, 'no increment is lost');

  await a.set('AccessToken', 't', 1);
  await a.addToGroup('grant:x', 'AccessToken:t');
  await b.purgeGroup('grant:x');
  assert.equal(await a.get('AccessToken', 't'), undefined, "a purge on one instance deletes the other's records");
  assert.deepEqual(await a.members('grant:x'), []);
}
