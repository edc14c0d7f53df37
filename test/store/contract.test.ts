import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { MemoryStore } from '../../src/store/memory.js';
import { openRedisStore, type RedisStore } from '../../src/store/redis/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { StoreUnavailableError, type Store } from '../../src/store/contract/store.js';
import { expectInstancesActAsOne } from '../helpers/store-instances.js';
import { expectEveryCallUnavailable } from '../helpers/store-outage.js';
import { deleteKeysWithPrefixes, freePort, keysWithPrefix, PrivateRedisServer, runPrefix, scanKeys, sharedRedis } from './redis-fixture.js';
import { collect, PAST_SHORT_TTL, SHORT_TTL, sorted, storeContract, waitUntilAvailable } from './store-contract.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const tempRoot = mkdtempSync(join(tmpdir(), 'gatehouse-store-'));
after(() => rmSync(tempRoot, { recursive: true, force: true }));
let fileCounter = 0;
const tempDbPath = () => join(tempRoot, `db-${++fileCounter}`, 'store.db');

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
      await expectInstancesActAsOne(a, b);
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

describe('RedisStore', () => {
  it('two instances on one prefix share the data, and exactly one of 100 consumes across them wins', async () => {
    const prefix = nextPrefix();
    const a = await redisStoreFor(redis.url, prefix);
    const b = await redisStoreFor(redis.url, prefix);
    const elsewhere = await redisStoreFor(redis.url);
    try {
      await expectInstancesActAsOne(a, b);
      assert.equal(await elsewhere.get('Client', 'from-a'), undefined, 'another prefix is another deployment');
      assert.deepEqual(await elsewhere.list('Client'), []);
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
    try {
      await store.set('Code', 'before', 'v');

      // Down: the process is gone, the port refuses connections.
      await server.stop();
      await expectEveryCallUnavailable(store, /hunter2/);
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
