import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { freePort, runCli } from '../helpers/cli.js';

const PASSWORD = 'correct horse battery staple';

async function cli(args: string[], input?: string) {
  const run = runCli(args);
  if (input !== undefined) run.child.stdin.end(input);
  else run.child.stdin.end();
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe('gatehouse users, clients, token and keys (embedded mode)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-cli-embedded-'));
  const data = ['--data-dir', dataDir];

  it('adds, lists, disables, enables, re-passwords and removes accounts', async () => {
    const added = await cli(['users', 'add', 'Ada@Example.com', '--password-stdin', ...data], `${PASSWORD}\n`);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /created ada@example\.com/);
    assert.equal((await cli(['users', 'add', 'ada@example.com', '--password-stdin', ...data], `${PASSWORD}\n`)).code, 1, 'no duplicates');
    const weak = await cli(['users', 'add', 'bob@example.com', '--password-stdin', ...data], 'short\n');
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /at least 10 characters/);

    const listed = JSON.parse((await cli(['users', 'list', '--json', ...data])).stdout);
    assert.deepEqual(
      listed.map((u: { email: string }) => u.email),
      ['ada@example.com'],
    );
    assert.equal(listed[0].passwordHash, undefined, 'hashes never leave the store');
    const raw = readFileSync(join(dataDir, 'gatehouse.db'));
    assert.ok(!raw.includes(Buffer.from(PASSWORD)), 'no plaintext password in the database');
    assert.ok(raw.includes(Buffer.from('$argon2id$')), 'argon2id hashes');

    assert.match((await cli(['users', 'disable', 'ada@example.com', ...data])).stdout, /disabled/);
    assert.equal(JSON.parse((await cli(['users', 'list', '--json', ...data])).stdout)[0].disabled, true);
    assert.match((await cli(['users', 'enable', 'ada@example.com', ...data])).stdout, /enabled/);
    assert.equal((await cli(['users', 'passwd', 'ada@example.com', '--password-stdin', ...data], 'another long password\n')).code, 0);
    assert.equal((await cli(['users', 'remove', 'nobody@example.com', ...data])).code, 1);
  });

  it('registers clients from presets and custom settings, and prints ready config', async () => {
    const json = await cli(['clients', 'add', '--preset', 'claude-code', '--json', ...data]);
    assert.equal(json.code, 0, json.stderr);
    const client = JSON.parse(json.stdout);
    assert.match(client.client_id, /^claude-code-/);
    assert.deepEqual(client.redirect_uris, ['http://localhost/callback', 'http://127.0.0.1/callback']);
    assert.equal(client.token_endpoint_auth_method, 'none');

    const text = await cli(['clients', 'add', '--preset', 'cursor', ...data]);
    assert.match(text.stdout, /client_id: +cursor-/);
    assert.match(text.stdout, /http:\/\/localhost:8000\/mcp/);

    const custom = JSON.parse(
      (await cli(['clients', 'add', '--name', 'Ops app', '--redirect-uri', 'https://ops.example.com/cb', '--confidential', '--json', ...data])).stdout,
    );
    assert.ok(custom.client_secret);
    assert.equal(custom.token_endpoint_auth_method, 'client_secret_basic');

    const refused = await cli(['clients', 'add', '--name', 'Bad', '--redirect-uri', 'javascript:alert(1)', ...data]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /redirect URIs refused/);
    assert.equal((await cli(['clients', 'add', '--preset', 'nope', ...data])).code, 1);

    const listed = JSON.parse((await cli(['clients', 'list', '--json', ...data])).stdout);
    assert.equal(listed.length, 3);
    assert.ok(
      listed.every((c: Record<string, unknown>) => c['client_secret'] === undefined),
      'secrets are never listed',
    );
    assert.match((await cli(['clients', 'remove', custom.client_id, ...data])).stdout, /removed/);
    assert.equal(JSON.parse((await cli(['clients', 'list', '--json', ...data])).stdout).length, 2);
  });

  it('mints tokens for a person, and rotates keys with overlap', async () => {
    const port = await freePort();
    const minted = await cli(['token', '--user', 'ada@example.com', '--port', String(port), ...data]);
    assert.equal(minted.code, 0, minted.stderr);
    const token = minted.stdout.trim();
    const claims = decodeJwt(token);
    assert.equal(claims.aud, `http://localhost:${port}/mcp`);
    assert.equal(claims['email'], 'ada@example.com');
    assert.equal(decodeProtectedHeader(token).typ, 'at+jwt');
    assert.equal((await cli(['token', '--user', 'ghost@example.com', ...data])).code, 1);
    // A malformed option is a usage error (exit 2, like an invalid setting), not a failure of the command (1).
    for (const args of [['token', '--user', 'ada@example.com', '--ttl', '0'], ['token'], ['audit', '--limit', '0'], ['audit', '--since', 'yesterday']]) {
      const refused = await cli([...args, ...data]);
      assert.equal(refused.code, 2, args.join(' '));
      assert.match(refused.stderr, /^gatehouse: (--ttl|say whose token|--limit|--since)[^\n]*\n$/, args.join(' '));
    }

    const keysFile = join(dataDir, 'keys.json');
    assert.equal(statSync(keysFile).mode & 0o777, 0o600);
    const before = JSON.parse(readFileSync(keysFile, 'utf8')).signing.map((k: { kid: string }) => k.kid);
    const rotatedOut = (await cli(['keys', 'rotate', ...data])).stdout;
    assert.match(rotatedOut, /^Published new signing keys: \S+ \(ES256\) and \S+ \(RS256\), one for each algorithm tokens are signed with\.\n/);
    assert.match(
      rotatedOut,
      /\nThey sign from \S+Z \(in 900 s, once resource servers that cache the JWKS have them\); until then the current keys go on signing\.\n/,
    );
    assert.match(rotatedOut, /\nTokens signed by earlier keys stay valid until they expire: those keys stay published to verify them\.\n$/);
    const after = JSON.parse(readFileSync(keysFile, 'utf8')).signing.map((k: { kid: string }) => k.kid);
    assert.equal(after.length, 4, 'the new generation and the previous one');
    assert.deepEqual(after.slice(2), before, 'the previous keys still verify');

    // A server started after the rotation still accepts the token signed before it.
    const server = runCli(['serve', '--port', String(port), ...data]);
    try {
      await server.waitFor(/Resource metadata/);
      const response = await fetch(`http://localhost:${port}/mcp`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2025-11-25',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
      });
      assert.equal(response.status, 200);
      assert.match(await response.text(), /ada@example\.com/);
      const jwks = (await (await fetch(`http://localhost:${port}/jwks`)).json()) as { keys: Array<{ kid: string; d?: string }> };
      assert.deepEqual(new Set(jwks.keys.map((k) => k.kid)), new Set(after), 'JWKS serves both generations');
      assert.ok(
        jwks.keys.every((k) => k.d === undefined),
        'never a private key',
      );
    } finally {
      await server.stop();
    }
  });

  it('prints a one-time setup link on first start with no accounts', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'gh-cli-setup-'));
    const port = await freePort();
    const server = runCli(['serve', '--port', String(port), '--data-dir', fresh]);
    try {
      await server.waitFor(/First-time setup: +http:\/\/localhost:\d+\/setup\?token=\S+/);
      const link = /First-time setup: +(\S+)/.exec(server.stderr())![1]!;
      const page = await fetch(link);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Create the first account/);
      assert.equal((await fetch(link.replace(/token=.*/, 'token=wrong'))).status, 404);
    } finally {
      await server.stop();
    }
  });
});
