import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { addUser, gatehouseCommand } from '../helpers/gatehouse-process.js';

describe('gatehouse token --user', () => {
  it('mints the scopes the server declares, and every token it mints is on record (never the token itself)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gh-token-'));
    const data = ['--data-dir', dataDir];
    await addUser(dataDir, 'ada@example.com', 'correct horse battery staple');

    const token = (
      await gatehouseCommand(['token', '--user', 'ada@example.com', '--scope', 'mcp:use read:whoami', '--required-scopes', 'mcp:use', '--ttl', '600', ...data])
    ).trim();
    const claims = decodeJwt(token);
    assert.equal(claims['scope'], 'mcp:use read:whoami');

    const [event, ...others] = (await gatehouseCommand(['audit', '--event', 'token.issued', '--json', ...data])).trim().split('\n');
    assert.equal(others.length, 0, 'one token, one event');
    const recorded = JSON.parse(event!) as Record<string, unknown>;
    assert.equal(recorded['type'], 'token.issued');
    assert.equal(recorded['subject'], claims.sub);
    assert.equal(recorded['clientId'], 'gatehouse-cli');
    assert.equal(recorded['grantId'], claims['gid'], 'the grant to revoke is named');
    assert.equal(recorded['reason'], 'cli: scope mcp:use read:whoami, ttl 600s');

    const text = await gatehouseCommand(['audit', '--user', 'ada@example.com', '--event', 'token', ...data]);
    assert.match(text, /token\.issued {2}subject=\S+ {2}client=gatehouse-cli {2}grant=\S+ {2}\(cli: scope mcp:use read:whoami, ttl 600s\)/);
    const everything = await gatehouseCommand(['audit', '--json', ...data]);
    assert.ok(!everything.includes(token) && !everything.includes(token.split('.')[2]!), 'the token is never recorded');
  });
});
