import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { startFlawedServer } from './fixtures/flawed-server.js';

// These run the built CLI (dist/): `npm run build` first.

async function doctorCli(args: string[]) {
  const run = runCli(['doctor', ...args]);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

test('a healthy server: exit 0, one line per check, no colour when not on a terminal', async () => {
  const server = await startFlawedServer('none');
  try {
    const { code, stdout } = await doctorCli([server.url]);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /^gatehouse doctor http:\/\/localhost:\d+\/mcp$/m);
    assert.match(stdout, /^PASS prm\.resource-matches: resource is http:\/\/localhost:\d+\/mcp, the URL given$/m);
    assert.match(stdout, /^\d+ passed, \d+ warnings?, 0 failed, \d+ skipped$/m);
    assert.ok(!stdout.includes('\u001b['), 'no ANSI escape');
  } finally {
    await server.close();
  }
});

test('a flawed server: exit 1, the failing check named with why and how to fix', async () => {
  const server = await startFlawedServer('resource-mismatch');
  try {
    const { code, stdout } = await doctorCli([server.url]);
    assert.equal(code, 1, stdout);
    assert.match(
      stdout,
      /^FAIL prm\.resource-matches: resource is http:\/\/localhost:\d+\/other, not http:\/\/localhost:\d+\/mcp.*\n {5}fix: publish "resource"/m,
    );
  } finally {
    await server.close();
  }
});

test('--json: the same report for machines, an array of checks with id, status, message and fix', async () => {
  const server = await startFlawedServer('no-s256');
  try {
    const { code, stdout } = await doctorCli([server.url, '--json']);
    assert.equal(code, 1);
    const report = JSON.parse(stdout) as { url: string; ok: boolean; checks: Record<string, unknown>[] };
    assert.equal(report.url, server.url);
    assert.equal(report.ok, false);
    assert.ok(report.checks.length > 10);
    for (const check of report.checks) assert.deepEqual(Object.keys(check).sort(), ['fix', 'id', 'message', 'status']);
    const pkce = report.checks.find((c) => c['id'] === 'as.pkce-s256');
    assert.equal(pkce?.['status'], 'fail');
    assert.equal(typeof pkce?.['fix'], 'string');
  } finally {
    await server.close();
  }
});

test('operator mistakes are one line naming the argument, exit 2', async () => {
  const notUrl = await doctorCli(['not a url']);
  assert.equal(notUrl.code, 2);
  assert.equal(notUrl.stderr, 'gatehouse: <mcp-url>: "not a url" is not a URL; give the MCP endpoint\'s, e.g. https://mcp.example.com/mcp\n');
  assert.equal(notUrl.stdout, '');

  const ftp = await doctorCli(['ftp://example.com/mcp']);
  assert.equal(ftp.code, 2);
  assert.match(ftp.stderr, /^gatehouse: <mcp-url>: "ftp:\/\/example\.com\/mcp" is not an http\(s\) URL\n$/);

  const token = await doctorCli(['http://localhost:1/mcp', '--token', 'abc']);
  assert.equal(token.code, 2);
  assert.match(token.stderr, /^gatehouse: --token is used only with --login; add --login/);

  const missing = await doctorCli([]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing required argument 'mcp-url'/);
});
