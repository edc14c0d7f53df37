import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BIN } from '../helpers/cli.js';

const DATA_DIR = 'gatehouse: dataDir (--data-dir / GATEHOUSE_DATA_DIR)';
const ON_DISK = 'choose a directory on disk this user can write to, e.g. --data-dir ./.gatehouse';

/**
 * As root every directory is writable, so a test of an unwritable one runs the CLI as `nobody`: Node starts as
 * root, and a preloaded module drops to nobody before the CLI is loaded.
 */
const AS_NOBODY = process.getuid?.() === 0 ? ['--import', 'data:text/javascript,process.setgid(65534);process.setuid(65534);'] : [];

async function gatehouse(args: string[], nodeArgs: string[] = []) {
  const started = Date.now();
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], { env: { PATH: process.env['PATH'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr, ms: Date.now() - started };
}

/** Exit 2 with exactly this one line, nothing else, and soon (never a hang). */
async function refused(args: string[], line: string, nodeArgs: string[] = []) {
  const { code, stdout, stderr, ms } = await gatehouse(args, nodeArgs);
  assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
  assert.equal(stderr, `${line}\n`, args.join(' '));
  assert.equal(stdout, '');
  assert.ok(ms < 15_000, `answered in ${ms} ms`);
}

describe('the data directory', () => {
  it('is never created by a command other than serve: a missing one is refused, naming the flag and the fix', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'gh-datadir-')), 'typo');
    const line = `${DATA_DIR}: ${missing} does not exist: give the directory your server uses (where \`gatehouse serve\` created it), or run \`gatehouse serve --data-dir ${missing}\` once to create it`;
    for (const args of [
      ['users', 'list'],
      ['users', 'add', 'ada@example.com', '--password-stdin'],
      ['clients', 'list'],
      ['clients', 'add', '--preset', 'cursor'],
      ['audit'],
      ['keys', 'rotate'],
      ['token', '--user', 'ada@example.com'],
      ['token', '--dev-keys'],
    ]) {
      await refused([...args, '--data-dir', missing], line);
    }
    assert.ok(!existsSync(missing), 'nothing was created');
  });

  it('under /proc, /sys or /dev is refused at once (creating it there used to spin forever)', async () => {
    for (const dir of ['/proc/gatehouse', '/proc/gatehouse/deeper', '/sys/gatehouse', '/dev/gatehouse']) {
      const line = `${DATA_DIR}: ${dir} is on a kernel file system (/proc, /sys, /dev…), which cannot hold data: ${ON_DISK}`;
      await refused(['serve', '--port', '0', '--data-dir', dir], line);
      await refused(['users', 'list', '--data-dir', dir], line);
    }
  });

  it('that is a file is refused', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gh-datadir-')), 'not-a-dir');
    writeFileSync(file, '');
    await refused(['serve', '--port', '0', '--data-dir', file], `${DATA_DIR}: ${file} is a file, not a directory: ${ON_DISK}`);
  });

  it('that this user cannot write to is refused, and one it cannot create too', async () => {
    const readOnly = mkdtempSync(join(tmpdir(), 'gh-datadir-ro-'));
    chmodSync(readOnly, 0o555);
    await refused(
      ['users', 'list', '--data-dir', readOnly],
      `${DATA_DIR}: ${readOnly} is not writable by this user (EACCES): give this user write access to it (chown/chmod), or ${ON_DISK}`,
      AS_NOBODY,
    );
    const below = join(readOnly, 'data');
    await refused(['serve', '--port', '0', '--data-dir', below], `${DATA_DIR}: ${below} cannot be created (EACCES): ${ON_DISK}`, AS_NOBODY);
  });

  it('is created by serve, readable by its owner only, and the banner says so', async () => {
    const fresh = join(mkdtempSync(join(tmpdir(), 'gh-datadir-')), 'data');
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', fresh], { env: { PATH: process.env['PATH'] ?? '' } });
    let stderr = '';
    try {
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (d) => {
          stderr += d;
          if (/Connect a client/.test(stderr)) resolve();
        });
        child.on('exit', () => reject(new Error(`exited before its banner:\n${stderr}`)));
      });
      assert.match(stderr, new RegExp(`\\n {2}Data directory: +${fresh.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(created now\\)\\n`));
      assert.equal(statSync(fresh).mode & 0o777, 0o700);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
