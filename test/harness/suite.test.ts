import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'suite-fixture-secret-0123456789';

/**
 * A test file for the runner to run: it passes or fails, and records for the leak scan one secret and one log
 * line, which contains the secret when `leaks`.
 */
function fixture(dir: string, name: string, { passes, leaks }: { passes: boolean; leaks: boolean }): string {
  const file = join(dir, `${name}.test.mjs`);
  const record = { secrets: [SECRET], logs: [leaks ? `token=${SECRET}` : 'request done'], dataDirs: [] };
  writeFileSync(
    file,
    [
      "import { mkdirSync, writeFileSync } from 'node:fs';",
      "import { join } from 'node:path';",
      "import { test } from 'node:test';",
      'mkdirSync(process.env.GATEHOUSE_LEAK_DIR, { recursive: true });',
      `writeFileSync(join(process.env.GATEHOUSE_LEAK_DIR, '${name}.json'), ${JSON.stringify(JSON.stringify(record))});`,
      `test('${name}', () => { if (${!passes}) throw new Error('this fixture fails'); });`,
    ].join('\n'),
  );
  return file;
}

/** test/suite.ts over these files, with its own leak directory (never the one of the run this test is part of). */
function runSuite(files: string[]): { status: number | null; verdicts: string[] } {
  const leakDir = mkdtempSync(join(tmpdir(), 'gatehouse-suite-leaks-'));
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/suite.ts', ...files], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', GATEHOUSE_LEAK_DIR: leakDir },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: run.status, verdicts: run.stdout.split('\n').filter((line) => line.startsWith('suite: ')) };
}

describe('npm test (test/suite.ts): the tests, then the leak scan, whatever the tests did', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-suite-'));

  it('runs the leak scan after failing tests, reports both, and fails', () => {
    const { status, verdicts } = runSuite([fixture(dir, 'failing', { passes: false, leaks: false })]);
    assert.deepEqual(verdicts, ['suite: tests failed (exit 1)', 'suite: leak scan passed']);
    assert.equal(status, 1);
  });

  it('fails on a leak though every test passed', () => {
    const { status, verdicts } = runSuite([fixture(dir, 'leaking', { passes: true, leaks: true })]);
    assert.deepEqual(verdicts, ['suite: tests passed', 'suite: leak scan failed (exit 1)']);
    assert.equal(status, 1);
  });

  it('reports a leak found after failing tests too', () => {
    const { status, verdicts } = runSuite([fixture(dir, 'failing-and-leaking', { passes: false, leaks: true })]);
    assert.deepEqual(verdicts, ['suite: tests failed (exit 1)', 'suite: leak scan failed (exit 1)']);
    assert.equal(status, 1);
  });

  it('passes when both pass', () => {
    const { status, verdicts } = runSuite([fixture(dir, 'clean', { passes: true, leaks: false })]);
    assert.deepEqual(verdicts, ['suite: tests passed', 'suite: leak scan passed']);
    assert.equal(status, 0);
  });
});
