import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreUnavailableError } from '../../src/store/contract/store.js';
import { openPostgresStore, parsePostgresUrl, type PostgresStore } from '../../src/store/postgres/index.js';
import { SCHEMA_VERSION } from '../../src/store/postgres/schema.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { expectInstancesActAsOne } from '../helpers/store-instances.js';
import { expectEveryCallUnavailable } from '../helpers/store-outage.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { freePort } from './redis-fixture.js';
import { PAST_SHORT_TTL, SHORT_TTL, sorted, storeContract, waitUntilAvailable } from './store-contract.js';

/*
 * One database for this run (created on the server at 127.0.0.1:5432, dropped at the end); every store gets a
 * schema of its own in it, so tests never see each other's rows.
 */
const db: TestDatabase = await createTestDatabase();
after(() => db.drop());
let schemaCounter = 0;
const nextSchema = () => `test-${++schemaCounter}`;
const storeFor = (url = db.url, prefix = nextSchema(), options = {}) => openPostgresStore(url, { prefix, poolSize: 4, ...options });

storeContract('postgres', () => storeFor());

describe('PostgresStore', () => {
  it('creates its schema with versioned migrations on first start, and reopens without migrating again', async () => {
    const schema = nextSchema();
    const first = await storeFor(db.url, schema);
    await first.set('User', 'u1', { name: 'Ada' });
    await first.close();
    const versions = async () => (await db.query(`SELECT version, name FROM "${schema}".schema_migrations ORDER BY version`)).rows;
    const applied = await versions();
    assert.equal(applied.length, SCHEMA_VERSION);
    assert.deepEqual(
      applied.map((r) => r.version),
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    );
    const second = await storeFor(db.url, schema);
    try {
      assert.deepEqual((await second.get('User', 'u1'))?.value, { name: 'Ada' }, 'a restart loses nothing');
      assert.deepEqual(await versions(), applied, 'no migration ran twice');
    } finally {
      await second.close();
    }
  });

  it('migrates once when many replicas start together on a fresh schema', async () => {
    const schema = nextSchema();
    const stores = await Promise.all(Array.from({ length: 5 }, () => storeFor(db.url, schema, { poolSize: 1 })));
    try {
      await stores[0]!.set('K', 'k', 1);
      for (const store of stores) assert.equal((await store.get('K', 'k'))?.value, 1);
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM "${schema}".schema_migrations`);
      assert.equal(rows[0]?.n, SCHEMA_VERSION);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('refuses a schema written by a newer version', async () => {
    const schema = nextSchema();
    await (await storeFor(db.url, schema)).close();
    await db.query(`INSERT INTO "${schema}".schema_migrations (version, name) VALUES (99, 'from-the-future')`);
    await assert.rejects(storeFor(db.url, schema), /schema test-\d+ is at version 99, newer than this gatehouse supports/);
  });

  it('keeps each prefix in its own schema: two deployments on one database never see each other', async () => {
    const a = await storeFor(db.url, 'deployment-a');
    const b = await storeFor(db.url, 'Deployment.B:2');
    try {
      await a.set('Client', 'c', 'a');
      await a.addToGroup('g', 'Client:c');
      await a.increment('rate', 60);
      assert.equal(await b.get('Client', 'c'), undefined);
      assert.deepEqual(await b.members('g'), []);
      assert.equal((await b.increment('rate', 60)).count, 1);
      const { rows } = await db.query("SELECT nspname FROM pg_namespace WHERE nspname IN ('deployment-a', 'Deployment.B:2') ORDER BY nspname");
      assert.deepEqual(
        rows.map((r) => r.nspname),
        ['Deployment.B:2', 'deployment-a'],
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    await assert.rejects(storeFor(db.url, 'x'.repeat(64)), /1 to 63 bytes/);
    await assert.rejects(storeFor(db.url, ''), /1 to 63 bytes/);
  });

  it('treats a prefix as a name, never as SQL', async () => {
    const schema = 'evil"; DROP SCHEMA public CASCADE; --';
    const store = await storeFor(db.url, schema);
    try {
      await store.set('K', 'k', 1);
      assert.equal((await store.get('K', 'k'))?.value, 1);
      const { rows } = await db.query('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [schema]);
      assert.equal(rows[0]?.n, 1);
      assert.equal((await db.query("SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'public'")).rows[0]?.n, 1);
    } finally {
      await store.close();
    }
  });

  it('two stores on one schema share the data, and exactly one of 100 consumes across them wins', async () => {
    const schema = nextSchema();
    const a = await storeFor(db.url, schema);
    const b = await storeFor(db.url, schema);
    try {
      await expectInstancesActAsOne(a, b);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('sweeps expired rows in batches, without waiting on rows a request holds locked', async () => {
    const schema = nextSchema();
    const store = await storeFor(db.url, schema, { sweepIntervalMs: 50 });
    const count = (table: string) => db.query(`SELECT count(*)::int AS n FROM "${schema}".${table}`).then((r) => r.rows[0]?.n as number);
    try {
      // More than one batch (500) of expired records, and some that live on.
      await db.query(`INSERT INTO "${schema}".records (kind, id, value, expires_at) SELECT 'Old', 'o' || i, '1', $1 FROM generate_series(1, 1200) AS i`, [
        Date.now() - 1000,
      ]);
      await store.set('Code', 'long', 1, 600);
      await store.set('Code', 'forever', 1);
      await store.addToGroup('g', 'short', SHORT_TTL);
      await store.addToGroup('g', 'long');
      await store.increment('short-window', SHORT_TTL);
      await store.increment('long-window', 600);
      await sleep(PAST_SHORT_TTL + 200);
      assert.equal(await count('records'), 2);
      assert.deepEqual((await db.query(`SELECT member FROM "${schema}".group_members`)).rows, [{ member: 'long' }]);
      assert.deepEqual((await db.query(`SELECT name FROM "${schema}".counters`)).rows, [{ name: 'long-window' }]);
    } finally {
      await store.close();
    }

    // A row locked by an open transaction elsewhere is skipped, not waited for: the sweep finishes and the rest go.
    const manual = await storeFor(db.url, schema, { sweepIntervalMs: 3_600_000 });
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      const past = Date.now() - 1000;
      await db.query(`INSERT INTO "${schema}".records (kind, id, value, expires_at) VALUES ('Old', 'locked', '1', $1), ('Old', 'free', '1', $1)`, [past]);
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM "${schema}".records WHERE id = 'locked' FOR UPDATE`);
      await manual.sweep();
      assert.deepEqual(sorted((await db.query(`SELECT id FROM "${schema}".records`)).rows.map((r) => r.id)), ['forever', 'locked', 'long']);
      await holder.query('ROLLBACK');
      await manual.sweep();
      assert.equal(await count('records'), 2);
    } finally {
      await holder.end();
      await manual.close();
    }
  });

  it('never holds a process open: the sweep timer is unref’d', async () => {
    const store = await storeFor(db.url, nextSchema(), { sweepIntervalMs: 10 });
    const timer = store['sweepTimer'];
    assert.ok(timer && !timer.hasRef());
    await store.close();
  });
});

describe('PostgresStore outages', () => {
  let proxy: TcpProxy;
  let store: PostgresStore;
  before(async () => {
    proxy = await TcpProxy.start(Number(new URL(db.url).port || 5432), new URL(db.url).hostname);
    store = await storeFor(db.urlVia(proxy.port), nextSchema(), { connectTimeoutMs: 500 });
  });
  after(async () => {
    await store?.close();
    await proxy?.close();
  });

  it('fails fast with StoreUnavailableError while the database is unreachable, then recovers by itself', async () => {
    await store.set('Code', 'before', 'v');
    await proxy.cut();
    await expectEveryCallUnavailable(store);
    await proxy.restore();
    await waitUntilAvailable(store, 10_000);
    assert.equal((await store.get('Code', 'before'))?.value, 'v', 'nothing was lost');
    await store.set('Code', 'after', 'v', 60);
    assert.ok(await store.consume('Code', 'after'));
  });

  it('gives up on a server that hangs, within the query timeout, and carries on when it answers again', async () => {
    const hungStore = await storeFor(db.urlVia(proxy.port), nextSchema(), { connectTimeoutMs: 500, queryTimeoutMs: 500 });
    try {
      await hungStore.set('Code', 'c', 1);
      proxy.hang();
      const started = Date.now();
      await assert.rejects(hungStore.get('Code', 'c'), StoreUnavailableError);
      assert.ok(Date.now() - started < 3000, `a hung server took ${Date.now() - started} ms to give up on`);
      proxy.resume();
      await waitUntilAvailable(hungStore, 10_000);
      assert.equal((await hungStore.get('Code', 'c'))?.value, 1);
    } finally {
      proxy.resume();
      await hungStore.close();
    }
  });

  it('replaces connections the server ended (a restart, a failover) without failing more than the statements in flight', async () => {
    await store.set('Code', 'x', 1);
    await Promise.all(Array.from({ length: 4 }, () => store.get('Code', 'x'))); // fill the pool
    assert.ok((await db.terminateConnections()) > 0);
    let answered = false;
    for (let attempt = 0; attempt < 5 && !answered; attempt++) {
      try {
        answered = (await store.get('Code', 'x'))?.value === 1;
      } catch (error) {
        assert.ok(error instanceof StoreUnavailableError, String(error));
      }
    }
    assert.ok(answered, 'the store answers again on fresh connections');
  });
});

describe('openPostgresStore', () => {
  it('refuses an unreachable server or a missing database with StoreUnavailableError, without the password', async () => {
    const port = await freePort();
    const started = Date.now();
    await assert.rejects(openPostgresStore(`postgres://gatehouse:hunter2@127.0.0.1:${port}/gatehouse`, { connectTimeoutMs: 500 }), (error: Error) => {
      assert.ok(error instanceof StoreUnavailableError, error.message);
      assert.ok(error.message.includes(`127.0.0.1:${port}/gatehouse`), error.message);
      assert.doesNotMatch(`${error.message} ${error.stack}`, /hunter2/);
      return true;
    });
    assert.ok(Date.now() - started < 3000);
    const missing = new URL(db.url);
    missing.pathname = '/gatehouse_no_such_database';
    missing.password = 'hunter2';
    await assert.rejects(openPostgresStore(missing.href), (error: Error) => {
      assert.ok(error instanceof StoreUnavailableError, error.message);
      assert.match(error.message, /does not exist/);
      assert.doesNotMatch(`${error.message} ${error.stack}`, /hunter2/);
      return true;
    });
  });

  it('asks for TLS when sslmode says so, and fails closed on a server without it', async () => {
    const plain = new URL(db.url);
    plain.search = '?sslmode=verify-full';
    await assert.rejects(openPostgresStore(plain.href, { prefix: nextSchema() }), (error: Error) => {
      assert.ok(error instanceof StoreUnavailableError, error.message);
      assert.match(error.message, /SSL|TLS/i);
      return true;
    });
  });

  it('rejects closed stores with StoreUnavailableError', async () => {
    const store = await storeFor();
    await store.ping();
    await store.close();
    await store.close();
    await assert.rejects(store.ping(), StoreUnavailableError);
    await assert.rejects(store.get('K', 'k'), StoreUnavailableError);
  });
});

describe('parsePostgresUrl', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-url-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n');

  it('reads host, port, database, user and password from either scheme', () => {
    assert.deepEqual(parsePostgresUrl('postgres://gatehouse:p%40ss@db.example:6432/auth'), {
      host: 'db.example',
      port: 6432,
      database: 'auth',
      user: 'gatehouse',
      password: 'p@ss',
      tls: false,
    });
    assert.deepEqual(parsePostgresUrl('PostgreSQL://ada@[::1]/my%20db'), { host: '::1', port: 5432, database: 'my db', user: 'ada', tls: false });
  });

  it('maps sslmode to TLS that verifies the server, and loads the CA, certificate and key files', () => {
    const full = parsePostgresUrl(`postgres://u@db.example/d?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`);
    assert.ok(full.tls);
    assert.equal(full.tls.rejectUnauthorized, true);
    assert.equal(full.tls.servername, 'db.example');
    assert.match(String(full.tls.ca), /not really/);
    assert.equal(full.tls.checkServerIdentity, undefined, 'the host name is checked');
    const required = parsePostgresUrl('postgres://u@10.0.0.5/d?sslmode=require');
    assert.ok(required.tls);
    assert.equal(required.tls.rejectUnauthorized, true, 'require verifies the certificate too');
    assert.equal(required.tls.servername, undefined, 'no SNI for an IP address');
    const caOnly = parsePostgresUrl('postgres://u@db.example/d?sslmode=verify-ca');
    assert.ok(caOnly.tls);
    assert.equal(caOnly.tls.rejectUnauthorized, true);
    assert.equal(typeof caOnly.tls.checkServerIdentity, 'function', 'the chain is checked, the host name is not');
    const client = parsePostgresUrl(`postgres://u@h/d?sslmode=verify-full&sslcert=${encodeURIComponent(ca)}&sslkey=${encodeURIComponent(ca)}`);
    assert.ok(client.tls);
    assert.match(String(client.tls.cert), /not really/);
    assert.match(String(client.tls.key), /not really/);
    assert.equal(parsePostgresUrl('postgres://u@h/d?sslmode=disable').tls, false);
  });

  it('rejects what it cannot honour, without echoing the password', () => {
    const cases: Array<[string, RegExp]> = [
      ['postgres://u:hunter2@h/d?sslmode=prefer', /sslmode must be one of disable, require, verify-ca, verify-full/],
      ['postgres://u:hunter2@h/d?sslmode=allow', /sslmode must be one of/],
      ['postgres://u:hunter2@h/d?password=x', /unknown parameter "password"/],
      ['postgres://u:hunter2@h/d?sslrootcert=/x', /sets sslrootcert but not sslmode/],
      [`postgres://u:hunter2@h/d?sslmode=require&sslcert=${encodeURIComponent(ca)}`, /sslcert and sslkey together/],
      ['postgres://u:hunter2@h/d?sslmode=require&sslrootcert=/no/such/ca.pem', /cannot read .* sslrootcert file \/no\/such\/ca\.pem: ENOENT/],
      ['postgres://u:hunter2@h', /needs one database name/],
      ['postgres://u:hunter2@h/a/b', /needs one database name/],
      ['postgres://:hunter2@h/d', /needs a user name/],
      ['postgres://u:hunter2@:5432/d', /invalid PostgreSQL store URL|needs a host/],
      ['postgres://u:hunter2@h:port/d', /invalid PostgreSQL store URL/],
      ['postgres://u:hunter2@h/d#x', /no fragment/],
    ];
    for (const [url, expected] of cases) {
      assert.throws(
        () => parsePostgresUrl(url),
        (error: Error) => {
          assert.match(error.message, expected, url);
          assert.doesNotMatch(error.message, /hunter2/);
          return true;
        },
      );
    }
  });
});
