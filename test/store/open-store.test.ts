import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MemoryStore, openStore, SqliteStore } from '../../src/store/index.js';

const tempRoot = mkdtempSync(join(tmpdir(), 'gatehouse-open-store-'));
after(() => rmSync(tempRoot, { recursive: true, force: true }));

describe('openStore', () => {
  it('opens a memory store for "memory:"', async () => {
    const store = await openStore('memory:');
    assert.ok(store instanceof MemoryStore);
    await store.close();
  });

  it('opens SQLite for "sqlite:<path>", "sqlite::memory:" and a bare path', async () => {
    for (const [url, file] of [
      [`sqlite:${join(tempRoot, 'a.db')}`, join(tempRoot, 'a.db')],
      ['sqlite::memory:', undefined],
      [join(tempRoot, 'b.db'), join(tempRoot, 'b.db')],
      [`SQLite:${join(tempRoot, 'c.db')}`, join(tempRoot, 'c.db')],
    ] as const) {
      const store = await openStore(url);
      assert.ok(store instanceof SqliteStore, url);
      await store.set('K', 'id', { url });
      assert.deepEqual((await store.get('K', 'id'))?.value, { url });
      await store.close();
      if (file) assert.ok(existsSync(file), file);
    }
  });

  it('rejects unknown schemes without echoing the rest of the URL', async () => {
    await assert.rejects(openStore('redis://:hunter2@cache:6379/0'), (error: Error) => {
      assert.match(error.message, /unsupported store URL scheme "redis:"/);
      assert.match(error.message, /memory:, sqlite:/);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
    await assert.rejects(openStore('postgres://db/x'), /unsupported store URL scheme "postgres:"/);
  });

  it('rejects empty and malformed URLs clearly', async () => {
    await assert.rejects(openStore(''), /store URL is empty/);
    await assert.rejects(openStore('sqlite:'), /needs a path/);
    await assert.rejects(openStore('memory:extra'), /takes no options/);
  });
});
