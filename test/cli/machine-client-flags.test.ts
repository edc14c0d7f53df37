import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { runCli } from '../helpers/cli.js';

/** `gatehouse clients add …` must exit 2 with one line on stderr matching the pattern, and store nothing. */
async function refused(args: string[], pattern: RegExp): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-machine-flags-'));
  const run = runCli(['clients', 'add', ...args, '--data-dir', dataDir]);
  run.child.stdin.end();
  assert.equal(await run.exited, 2, `${args.join(' ')}: ${run.stderr()}`);
  const lines = run.stderr().split('\n');
  assert.equal(lines.length, 2, run.stderr());
  assert.match(lines[0]!, pattern);
  assert.equal(run.stdout(), '');
  const list = runCli(['clients', 'list', '--json', '--data-dir', dataDir]);
  assert.equal(await list.exited, 0);
  assert.deepEqual(JSON.parse(list.stdout()), []);
}

describe('clients add --machine: operator mistakes are one line naming the flag, exit 2', () => {
  it('needs scopes, valid ones, and no app flags', async () => {
    await refused(['--machine'], /^gatehouse: --machine needs --scope/);
    await refused(['--machine', '--scope', 'a"b'], /^gatehouse: --scope "a\\"b" is not a valid OAuth scope/);
    await refused(['--machine', '--scope', 'read:whoami', '--redirect-uri', 'http://127.0.0.1/cb'], /^gatehouse: --machine takes no --redirect-uri/);
    await refused(['--scope', 'read:whoami', '--preset', 'cursor'], /^gatehouse: --scope is for machine and enterprise clients: add --machine or --enterprise/);
  });

  it('takes keys from https URLs or files of public keys only', async () => {
    await refused(
      ['--machine', '--scope', 'read:whoami', '--jwks-uri', 'http://keys.example/jwks'],
      /^gatehouse: --jwks-uri "http:\/\/keys.example\/jwks" must be an https URL/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'gh-machine-keys-'));
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateFile = join(dir, 'private.json');
    writeFileSync(privateFile, JSON.stringify({ keys: [await exportJWK(privateKey)] }));
    await refused(['--machine', '--scope', 'read:whoami', '--jwks-file', privateFile], /holds a private key: give the client's public keys only/);
    const notJwks = join(dir, 'not.json');
    writeFileSync(notJwks, '{"kty":"EC"}');
    await refused(['--machine', '--scope', 'read:whoami', '--jwks-file', notJwks], /is not a JWK Set/);
    await refused(['--machine', '--scope', 'read:whoami', '--jwks-file', join(dir, 'missing.json')], /^gatehouse: --jwks-file .*missing\.json: ENOENT/);
  });
});
