import assert from 'node:assert/strict';
import { StoreUnavailableError, type Store } from '../../src/store/contract/store.js';

/** Every operation of the Store contract, each once, as a request would make it. */
function everyStoreCall(store: Store): Array<[string, () => Promise<unknown>]> {
  return [
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
    ['entries', () => store.entries()[Symbol.asyncIterator]().next()],
  ];
}

/**
 * While the backend is down, every store operation fails with StoreUnavailableError within two seconds (a request
 * gets a 503 rather than hanging), and no error's message or stack matches `hidden` (the connection's password).
 */
export async function expectEveryCallUnavailable(store: Store, hidden?: RegExp): Promise<void> {
  for (const [name, call] of everyStoreCall(store)) {
    const started = Date.now();
    await assert.rejects(call(), (error: Error) => {
      assert.ok(error instanceof StoreUnavailableError, `${name}: ${error.name}: ${error.message}`);
      if (hidden) assert.doesNotMatch(`${error.message} ${error.stack}`, hidden);
      return true;
    });
    assert.ok(Date.now() - started < 2000, `${name} took ${Date.now() - started} ms`);
  }
}
