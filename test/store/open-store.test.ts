import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isSharedStoreUrl, MemoryStore, openStore, PostgresStore, RedisStore, SqliteStore, StoreUnavailableError } from '../../src/store/index.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { deleteKeysWithPrefixes, freePort, keysWithPrefix, runPrefix, sharedRedis } from './redis-fixture.js';

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

  it('opens Redis for "redis://" with the given key prefix, and "gatehouse" by default', async () => {
    const redis = await sharedRedis();
    const prefix = `${runPrefix}-open`;
    try {
      const store = await openStore(redis.url, { prefix });
      assert.ok(store instanceof RedisStore);
      await store.set('K', 'id', { ok: true });
      assert.deepEqual((await store.get('K', 'id'))?.value, { ok: true });
      assert.ok((await keysWithPrefix(redis.url, prefix)).length > 0);
      await store.close();

      const byDefault = await openStore(redis.url.replace(/^redis:/, 'REDIS:'));
      assert.ok(byDefault instanceof RedisStore);
      assert.equal(byDefault['keys'].base, '{gatehouse}:');
      await byDefault.close();
    } finally {
      await deleteKeysWithPrefixes(redis.url, [prefix]);
      await redis.release();
    }
  });

  it('reports an unreachable Redis as StoreUnavailableError without the password', async () => {
    const port = await freePort();
    for (const scheme of ['redis', 'rediss']) {
      await assert.rejects(openStore(`${scheme}://admin:hunter2@127.0.0.1:${port}/0`), (error: Error) => {
        assert.ok(error instanceof StoreUnavailableError, error.message);
        assert.doesNotMatch(`${error.message} ${error.stack}`, /hunter2/);
        return true;
      });
    }
  });

  it('rejects unknown schemes without echoing the rest of the URL', async () => {
    await assert.rejects(openStore('mongodb://:hunter2@cache:27017/0'), (error: Error) => {
      assert.match(error.message, /unsupported URL scheme "mongodb:"/);
      assert.match(error.message, /memory:, sqlite:, redis:, rediss:, postgres:, postgresql:/);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
  });

  it('opens PostgreSQL for "postgres://" and "postgresql://" with the prefix as its schema, "gatehouse" by default', async () => {
    const db = await createTestDatabase();
    try {
      const store = await openStore(db.url, { prefix: 'open-store' });
      assert.ok(store instanceof PostgresStore);
      await store.set('K', 'id', { ok: true });
      await store.close();
      const { rows } = await db.query('SELECT value FROM "open-store".records');
      assert.deepEqual(rows, [{ value: '{"ok":true}' }]);

      const byDefault = await openStore(db.url.replace(/^postgres:/, 'PostgreSQL:'));
      assert.ok(byDefault instanceof PostgresStore);
      assert.equal(byDefault.schemaName, 'gatehouse');
      await byDefault.close();
    } finally {
      await db.drop();
    }
  });

  it('reports an unreachable PostgreSQL as StoreUnavailableError without the password', async () => {
    const port = await freePort();
    for (const scheme of ['postgres', 'postgresql']) {
      await assert.rejects(openStore(`${scheme}://admin:hunter2@127.0.0.1:${port}/gatehouse`), (error: Error) => {
        assert.ok(error instanceof StoreUnavailableError, error.message);
        assert.doesNotMatch(`${error.message} ${error.stack}`, /hunter2/);
        return true;
      });
    }
  });

  it('tells the stores replicas share (and that hold the sealed keys) from the local ones', () => {
    for (const url of ['redis://h:6379', 'rediss://h', 'postgres://u@h/d', 'POSTGRESQL://u@h/d', ' postgres://u@h/d'])
      assert.equal(isSharedStoreUrl(url), true, url);
    for (const url of ['sqlite:./g.db', 'memory:', './gatehouse.db', 'C:\\data\\g.db', 'postgres-backup.db']) assert.equal(isSharedStoreUrl(url), false, url);
  });

  it('rejects empty and malformed URLs clearly', async () => {
    await assert.rejects(openStore(''), /the URL is empty/);
    await assert.rejects(openStore('sqlite:'), /needs a path/);
    await assert.rejects(openStore('memory:extra'), /takes no options/);
  });
});
