import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { gatehouseCommand } from '../helpers/gatehouse-process.js';
import { createTestDatabase } from '../helpers/postgres.js';

const REDIS = process.env['GATEHOUSE_TEST_REDIS'] ?? 'redis://127.0.0.1:6379';

describe('gatehouse store copy', () => {
  const prefix = `test-copy-${randomBytes(4).toString('hex')}`;
  after(async () => {
    const redis = new Redis(REDIS);
    const keys = await redis.keys(`{${prefix}}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('moves accounts and clients from SQLite to Redis, where the CLI and servers find them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gh-copy-'));
    await gatehouseCommand(['users', 'add', 'ada@example.com', '--password-stdin', '--data-dir', dataDir], { stdin: 'correct horse battery staple\n' });
    const client = JSON.parse(await gatehouseCommand(['clients', 'add', '--preset', 'vscode', '--json', '--data-dir', dataDir]));
    const copied = await gatehouseCommand(['store', 'copy', '--from', `sqlite:${join(dataDir, 'gatehouse.db')}`, '--to', REDIS, '--store-prefix', prefix]);
    assert.match(copied, /copied \d+ records/);
    const redisArgs = ['--store', REDIS, '--store-prefix', prefix];
    assert.match(await gatehouseCommand(['users', 'list', ...redisArgs]), /ada@example\.com/);
    const clients = JSON.parse(await gatehouseCommand(['clients', 'list', '--json', ...redisArgs])) as Array<{ client_id: string }>;
    assert.deepEqual(
      clients.map((c) => c.client_id),
      [client.client_id],
    );
  });

  it('moves them on from Redis to PostgreSQL, where the CLI finds them under the prefix as a schema', async () => {
    const db = await createTestDatabase();
    try {
      const dataDir = mkdtempSync(join(tmpdir(), 'gh-copy-pg-'));
      await gatehouseCommand(['users', 'add', 'grace@example.com', '--password-stdin', '--data-dir', dataDir], { stdin: 'correct horse battery staple\n' });
      await gatehouseCommand(['store', 'copy', '--from', `sqlite:${join(dataDir, 'gatehouse.db')}`, '--to', REDIS, '--store-prefix', prefix]);
      const copied = await gatehouseCommand(['store', 'copy', '--from', REDIS, '--to', db.url, '--store-prefix', prefix, '--to-prefix', 'team-a']);
      assert.match(copied, /copied \d+ records/);
      const listed = await gatehouseCommand(['users', 'list', '--store', db.url, '--store-prefix', 'team-a']);
      assert.match(listed, /grace@example\.com/);
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM "team-a".records WHERE kind = 'User'`);
      assert.ok(rows[0]?.n >= 1);
    } finally {
      await db.drop();
    }
  });
});
