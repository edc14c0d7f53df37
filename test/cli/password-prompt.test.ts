import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BIN } from '../helpers/cli.js';
import { gatehouseCommand } from '../helpers/gatehouse-process.js';

/** `users add` on a real terminal (util-linux `script` gives it a pseudo-terminal): asks twice, echoes nothing. */
describe('the interactive password prompt', () => {
  it('creates the account from a typed password without echoing it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gh-tty-'));
    const command = `${process.execPath} ${BIN} users add typed@example.com --data-dir ${dataDir}`;
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    let screen = '';
    child.stdout.on('data', (d) => (screen += d));
    const until = async (pattern: RegExp) => {
      for (let i = 0; i < 100 && !pattern.test(screen); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(screen, pattern);
    };
    await until(/Password: /);
    child.stdin.write('a typed secret phrase\r');
    await until(/Repeat password: /);
    child.stdin.write('a typed secret phrase\r');
    await until(/created typed@example\.com/);
    child.stdin.end();
    await exited;
    assert.ok(!screen.includes('a typed secret phrase'), 'the password is never echoed');
    assert.match(await gatehouseCommand(['users', 'list', '--data-dir', dataDir]), /typed@example\.com/);
  });
});
