import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { startGatehouse } from '../helpers/gatehouse-process.js';

const root = mkdtempSync(join(tmpdir(), 'gh-templates-cli-'));
let made = 0;

/** A templates directory holding `files` (a value of `null` makes a directory of that name). */
function templatesDir(files: Record<string, string | null>): string {
  const dir = join(root, `t${made++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) {
    if (text === null) mkdirSync(join(dir, name));
    else writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** `gatehouse serve` must stop before listening: exit 2, one line naming the flag, the variable and the file, nothing on stdout. */
async function refused(setting: { flag?: string; env?: string }, file: string, reason: RegExp) {
  const args = setting.flag === undefined ? [] : ['--templates-dir', setting.flag];
  const run = runCli(
    ['serve', '--port', '0', '--data-dir', join(root, 'data'), ...args],
    setting.env !== undefined ? { GATEHOUSE_TEMPLATES_DIR: setting.env } : {},
  );
  run.child.stdin.end();
  const code = await run.exited;
  const [stdout, stderr] = [run.stdout(), run.stderr()];
  assert.equal(code, 2, stderr);
  assert.equal(stderr.trimEnd().split('\n').length, 1, `one line: ${stderr}`);
  assert.ok(stderr.startsWith('gatehouse: templatesDir (--templates-dir / GATEHOUSE_TEMPLATES_DIR): '), stderr);
  assert.ok(stderr.includes(file), `names ${file}: ${stderr}`);
  assert.match(stderr.trimEnd(), reason);
  assert.equal(stdout, '');
}

describe('gatehouse serve refuses a templates directory it cannot use', () => {
  it('a directory that is not there, by flag or by environment variable', async () => {
    const missing = join(root, 'no-such-dir');
    await refused({ flag: missing }, missing, /cannot be read \(ENOENT\): give a directory holding page templates such as login.html$/);
    await refused({ env: missing }, missing, /cannot be read \(ENOENT\)/);
  });

  it('a file named after no page, with the page a typo meant', async () => {
    await refused(
      { flag: templatesDir({ 'logn.html': '<p>x</p>' }) },
      'logn.html',
      /is not a page's template \(did you mean login.html\?\): name each file after its page \(/,
    );
  });

  it('a file it cannot read', async () => {
    // A directory where the file should be: unreadable as a template whoever the server runs as.
    await refused(
      { flag: templatesDir({ 'consent.html': null }) },
      'consent.html',
      /cannot be read \(EISDIR\): make it a file the server can read, or remove it$/,
    );
  });

  it('a template that does not parse', async () => {
    await refused(
      { flag: templatesDir({ 'account.html': '{{#apps}}<li>{{clientName}}</li>' }) },
      'account.html',
      /does not parse \(Unclosed section "apps" at \d+\): close every/,
    );
  });

  it('a layout that never places the page', async () => {
    await refused({ flag: templatesDir({ 'layout.html': '<main>{{body}}</main>' }) }, 'layout.html', /never places \{\{\{body\}\}\}/);
  });
});

describe('gatehouse serve with a templates directory', () => {
  it('serves its pages from the templates, with the page headers', async () => {
    const dir = templatesDir({ 'landing.html': '<h1 class="acme">{{name}} for <code>{{mcpUrl}}</code></h1>' });
    const server = await startGatehouse({ args: ['--name', 'Acme <MCP>'], env: { GATEHOUSE_TEMPLATES_DIR: dir } });
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/`, { headers: { Accept: 'text/html' } });
      const body = await response.text();
      assert.match(body, /<h1 class="acme">Acme &lt;MCP&gt; for <code>http:\/\/[\w.]+:\d+\/mcp<\/code><\/h1>/);
      assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
    } finally {
      await server.stop();
    }
  });
});
