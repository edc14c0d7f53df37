import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { keySource } from '../../src/authserver/keys/key-store.js';
import { newKeyGeneration } from '../../src/authserver/keys/keys.js';
import { openStore } from '../../src/store/index.js';
import { runCli } from '../helpers/cli.js';
import { startGatehouse } from '../helpers/gatehouse-process.js';

const REDIS = process.env['GATEHOUSE_TEST_REDIS'] ?? 'redis://127.0.0.1:6379';
const SECRET = randomBytes(32).toString('base64url');
/** A keys record as earlier versions sealed it (`v1.<iv>.<ciphertext>.<tag>`, no key id, no context), made with this secret. */
const V1_SECRET = 'legacy-secret-0123456789abcdef0123456789';
const V1_SEALED = 'v1.zelf9Eon0yFHI8Fe.vDUu6IP-a20JnKnw8P4GAMcR2pl2LHV8A6NTb0qnow.zskL9x7o63-VAQkS3uNGnA';
const V1_PLAINTEXT = { signing: [], cookies: ['c1'] };

/** Every raw value under a prefix, as Redis holds it (whatever the key's type). */
async function rawValues(redis: Redis, prefix: string): Promise<string[]> {
  const values: string[] = [];
  for (const key of await redis.keys(`{${prefix}}:*`)) {
    const type = await redis.type(key);
    if (type === 'string') values.push((await redis.get(key)) ?? '');
    else if (type === 'hash') values.push(JSON.stringify(await redis.hgetall(key)));
    else if (type === 'zset') values.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
    else if (type === 'set') values.push(JSON.stringify(await redis.smembers(key)));
  }
  return values;
}

/** The private parts of a JWK, as JSON would spell them. */
const PRIVATE_MEMBER = /"(d|p|q|dp|dq|qi)"\s*:/;

/** Signing keys kept in a shared Redis are never stored in the clear. */
describe('keys in a shared store are sealed', () => {
  const redis = new Redis(REDIS);
  const prefixes: string[] = [];
  const newPrefix = () => {
    const prefix = `test-sealed-${randomBytes(4).toString('hex')}`;
    prefixes.push(prefix);
    return prefix;
  };

  after(async () => {
    for (const prefix of prefixes) {
      const keys = await redis.keys(`{${prefix}}:*`);
      if (keys.length) await redis.del(...keys);
    }
    await redis.quit();
  });

  it('without GATEHOUSE_SECRET, a server on Redis refuses to start, names the variable, and writes no keys', async () => {
    const prefix = newPrefix();
    const serve = runCli(['serve', '--port', '0', '--store', REDIS, '--store-prefix', prefix, '--data-dir', mkdtempSync(join(tmpdir(), 'gh-sealed-'))]);
    const outcome = await Promise.race([serve.exited.then(() => 'exited'), serve.waitFor(/Listening on/, 60_000).then(() => 'listening')]);
    if (outcome === 'listening') await serve.stop();
    assert.equal(outcome, 'exited', 'it started');
    const code = await serve.exited;
    assert.notEqual(code, 0, `exit code ${code}`);
    assert.match(serve.stderr() + serve.stdout(), /GATEHOUSE_SECRET/);
    for (const value of await rawValues(redis, prefix)) assert.doesNotMatch(value, PRIVATE_MEMBER, 'a private key in Redis');
    assert.deepEqual(await redis.keys(`{${prefix}}:*Keys*`), [], 'no keys record');
  });

  it('with GATEHOUSE_SECRET, no raw Redis value holds a private key, and the server signs with the sealed keys', async () => {
    const prefix = newPrefix();
    const server = await startGatehouse({ args: ['--store', REDIS, '--store-prefix', prefix], env: { GATEHOUSE_SECRET: SECRET } });
    try {
      const jwks = (await (await fetch(`${server.urls.issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> };
      assert.ok(jwks.keys.length > 0);
      const values = await rawValues(redis, prefix);
      assert.ok(
        values.some((v) => v.includes('"sealed"')),
        'a sealed keys record',
      );
      for (const value of values) assert.doesNotMatch(value, PRIVATE_MEMBER, 'a private key in Redis');
    } finally {
      await server.stop();
    }
  });

  it('keys an earlier version left in the clear are sealed when a server with the secret starts', async () => {
    const prefix = newPrefix();
    const store = await openStore(REDIS, { prefix });
    const generation = await newKeyGeneration();
    await store.set('Keys', 'current', { version: 1, plain: { signing: generation.signing, cookies: [generation.cookie] } });
    await store.close();
    assert.ok(
      (await rawValues(redis, prefix)).some((v) => PRIVATE_MEMBER.test(v)),
      'the legacy record is in the clear',
    );
    const server = await startGatehouse({ args: ['--store', REDIS, '--store-prefix', prefix], env: { GATEHOUSE_SECRET: SECRET } });
    try {
      const jwks = (await (await fetch(`${server.urls.issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> };
      assert.ok(
        jwks.keys.some((k) => k.kid === generation.signing[0]!.kid),
        'the same keys, kept',
      );
      for (const value of await rawValues(redis, prefix)) assert.doesNotMatch(value, PRIVATE_MEMBER, 'a private key in Redis');
    } finally {
      await server.stop();
    }
  });

  it('keys sealed by an earlier version (the v1 format) still open with the same secret, and a rotation seals them in the current format', async () => {
    const prefix = newPrefix();
    const store = await openStore(REDIS, { prefix });
    try {
      await store.set('Keys', 'current', { version: 3, sealed: V1_SEALED });
      const source = keySource({ dataDir: mkdtempSync(join(tmpdir(), 'gh-sealed-')), store, inStore: true, env: { GATEHOUSE_SECRET: V1_SECRET } });
      assert.deepEqual(await source.load(), { keys: V1_PLAINTEXT, version: 3 });
      const other = keySource({ dataDir: mkdtempSync(join(tmpdir(), 'gh-sealed-')), store, inStore: true, env: { GATEHOUSE_SECRET: SECRET } });
      await assert.rejects(other.load(), /does not open.*set GATEHOUSE_SECRET to the secret they were sealed with/, 'another secret does not open it');

      await source.rotate(0);
      const rotated = (await store.get<{ version: number; sealed: string }>('Keys', 'current'))!.value;
      assert.equal(rotated.version, 4);
      assert.match(rotated.sealed, /^k1\./);
      assert.doesNotMatch(rotated.sealed, PRIVATE_MEMBER);
      assert.equal((await source.load()).version, 4);
    } finally {
      await store.close();
    }
  });
});
