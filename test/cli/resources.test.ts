import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

async function run(args: string[], dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = runCli([...args, '--data-dir', dataDir]);
  cli.child.stdin.end();
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

describe('gatehouse resources: the downstream APIs tools may get tokens for', () => {
  it('adds, lists and removes an API; its secret is shown once and stored hashed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gh-resources-'));
    const added = await run(['resources', 'add', 'https://calendar.example.com', '--scope', 'calendar:read', 'calendar:write', '--name', 'Calendar'], dataDir);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /Registered Calendar as a downstream API/);
    assert.match(added.stdout, /audience:\s+https:\/\/calendar\.example\.com {2}\(exactly this string\)/);
    const secret = /client_secret:\s+(\S+)/.exec(added.stdout)?.[1];
    assert.ok(secret);

    const listed = await run(['resources', 'list', '--json'], dataDir);
    const [resource] = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    assert.equal(resource!['url'], 'https://calendar.example.com');
    assert.deepEqual(resource!['scopes'], ['calendar:read', 'calendar:write']);
    assert.ok(!listed.stdout.includes(secret!));
    const table = await run(['resources', 'list'], dataDir);
    assert.match(table.stdout, /^RESOURCE\s+NAME\s+SCOPES\s+CLIENT ID\s+CREATED/);

    const clients = await run(['clients', 'list', '--json'], dataDir);
    const client = (JSON.parse(clients.stdout) as Array<Record<string, unknown>>).find((c) => c['client_id'] === resource!['clientId']);
    assert.equal(client?.['kind'], 'resource-server');
    assert.ok(!clients.stdout.includes(secret!));

    const removed = await run(['resources', 'remove', 'https://calendar.example.com'], dataDir);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await run(['resources', 'list'], dataDir)).stdout, 'no downstream APIs; add one with `gatehouse resources add <url> --scope <scope>`\n');
    const after = JSON.parse((await run(['clients', 'list', '--json'], dataDir)).stdout) as Array<Record<string, unknown>>;
    assert.equal(
      after.find((c) => c['client_id'] === resource!['clientId']),
      undefined,
      'its credentials go with it',
    );
  });

  it('operator mistakes are one line, exit 2, and store nothing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gh-resources-bad-'));
    const cases: Array<[string[], RegExp]> = [
      [['resources', 'add', 'calendar', '--scope', 'a'], /"calendar" is not a URL/],
      [['resources', 'add', 'http://calendar.example.com', '--scope', 'a'], /must use https/],
      [['resources', 'add', 'https://calendar.example.com#x', '--scope', 'a'], /must not have a fragment/],
      [['resources', 'add', 'https://calendar.example.com', '--scope', 'a"b'], /--scope "a"b" is not a valid OAuth scope/],
      [['resources', 'add', 'https://calendar.example.com'], /required option '--scope <scope\.\.\.>' not specified/],
      [['resources', 'add', 'http://localhost:8000/mcp', '--scope', 'a'], /this server's own MCP endpoint/],
      [['resources', 'remove', 'https://nothing.example.com'], /no downstream API https:\/\/nothing\.example\.com/],
    ];
    for (const [args, pattern] of cases) {
      const result = await run(args, dataDir);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr.split('\n').length, 2, result.stderr);
      assert.match(result.stderr, pattern);
    }
    assert.deepEqual(JSON.parse((await run(['resources', 'list', '--json'], dataDir)).stdout), []);
    const twice = await run(['resources', 'add', 'https://calendar.example.com', '--scope', 'a'], dataDir);
    assert.equal(twice.code, 0, twice.stderr);
    const again = await run(['resources', 'add', 'https://calendar.example.com', '--scope', 'a'], dataDir);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already registered/);
  });
});
