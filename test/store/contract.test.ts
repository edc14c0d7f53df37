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
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/store.js';

/*
 * TTLs: every backend accepts fractional seconds (rounded to whole milliseconds), so expiry is tested with
 * 0.1 s TTLs and 300 ms waits; one test also checks a whole 1 s TTL against the clock.
 */
const SHORT_TTL = 0.1;
const PAST_SHORT_TTL = 300;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const tempRoot = mkdtempSync(join(tmpdir(), 'gatehouse-store-'));
after(() => rmSync(tempRoot, { recursive: true, force: true }));
let fileCounter = 0;
const tempDbPath = () => join(tempRoot, `db-${++fileCounter}`, 'store.db');

const sorted = (values: string[]) => [...values].sort();

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
      assert.equal((await store.get('Session', 'short'))?.value, 'v');
      assert.equal((await store.get('Session', 'forever'))?.expiresAt, undefined);
      await sleep(PAST_SHORT_TTL);
      assert.equal(await store.get('Session', 'short'), undefined);
      assert.equal((await store.get('Session', 'forever'))?.value, 'v');
      assert.equal((await store.get('Session', 'one-second'))?.value, 'v');
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
      assert.deepEqual(listed.map((r) => [r.id, r.value.n]), [['g1', 1], ['g2', 2]]);
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
      await assert.rejects(store.set('Json', 'f', () => 1), TypeError);
      await assert.rejects(store.set('Json', 'b', { big: 1n }), TypeError);
      assert.equal(await store.get('Json', 'u'), undefined);
    });

    it('can be closed twice', async () => {
      await store.close();
    });
  });
}

storeContract('memory', async () => new MemoryStore());
storeContract('sqlite (:memory:)', async () => openSqliteStore(':memory:'));
storeContract('sqlite (temp file)', async () => openSqliteStore(tempDbPath()));

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
        assert.equal(raw.prepare('PRAGMA user_version').get()?.user_version, 1);
      } finally {
        raw.close();
      }
    } finally {
      await store.close();
    }
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
      await sleep(PAST_SHORT_TTL + 100);
      const raw = rawDb(path);
      try {
        assert.deepEqual(raw.prepare('SELECT id FROM records').all().map((r) => r.id), ['long']);
        assert.deepEqual(raw.prepare('SELECT member FROM group_members').all().map((r) => r.member), ['long']);
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
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).consume('RefreshToken', 'rt')),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(typeof (await a.get('RefreshToken', 'rt'))?.consumedAt, 'number');
      assert.deepEqual(await b.get('RefreshToken', 'rt'), await a.get('RefreshToken', 'rt'));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('separate processes racing on the same codes each consume a code at most once', async () => {
    const path = tempDbPath();
    const codes = 200;
    const setup = openSqliteStore(path);
    for (let i = 0; i < codes; i++) await setup.set('Code', `c${i}`, i, 600);
    await setup.close();

    const script = join(tempRoot, 'racer.mts');
    const storeModule = pathToFileURL(join(repoRoot, 'src/store/sqlite.js')).href;
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
    const storeModule = pathToFileURL(join(repoRoot, 'src/store/sqlite.js')).href;
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

  it('rejects an empty path', () => {
    assert.throws(() => openSqliteStore(''), /must not be empty/);
  });
});
