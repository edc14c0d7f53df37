import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

const PASSWORD = 'correct horse battery staple';

async function cli(args: string[], input?: string) {
  const run = runCli(args);
  run.child.stdin.end(input);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe('gatehouse users: the admin role', () => {
  const data = ['--data-dir', mkdtempSync(join(tmpdir(), 'gh-cli-admin-'))];
  const admins = async () =>
    (JSON.parse((await cli(['users', 'list', '--json', ...data])).stdout) as { email: string; admin?: boolean }[]).filter((u) => u.admin).map((u) => u.email);

  it('adds an admin with --admin, grants and revokes the role, and records each change', async () => {
    const added = await cli(['users', 'add', 'ada@example.com', '--admin', '--password-stdin', ...data], `${PASSWORD}\n`);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /an admin/);
    assert.equal((await cli(['users', 'add', 'bob@example.com', '--password-stdin', ...data], `${PASSWORD}\n`)).code, 0);
    assert.deepEqual(await admins(), ['ada@example.com']);

    assert.match((await cli(['users', 'grant-admin', 'bob@example.com', ...data])).stdout, /bob@example\.com is now an admin/);
    assert.deepEqual(await admins(), ['ada@example.com', 'bob@example.com']);
    assert.match((await cli(['users', 'revoke-admin', 'ada@example.com', ...data])).stdout, /no longer an admin/);
    assert.deepEqual(await admins(), ['bob@example.com']);
    assert.equal((await cli(['users', 'grant-admin', 'nobody@example.com', ...data])).code, 1);

    const audit = (await cli(['audit', '--event', 'account.changed', ...data])).stdout;
    assert.match(audit, /admin role granted \(cli\)/);
    assert.match(audit, /admin role revoked \(cli\)/);
  });
});
