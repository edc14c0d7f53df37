import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A process that logs one line with a credential in it through createLogger(options), as Gatehouse's own logger. */
function loggingProgram(options: string): string[] {
  const program = `import('./src/util/logger.ts').then(({ createLogger }) => createLogger(${options}).warn({ path: '/mcp', token: 'a-credential-never-logged' }, 'something to see'))`;
  return [process.execPath, '--import', 'tsx', '-e', program];
}

/** Its output with stdout a pipe. */
function throughPipe(options: string, env: Record<string, string> = {}): string {
  const [command, ...args] = loggingProgram(options);
  const run = spawnSync(command!, args, { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', ...env }, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

/** Its output with stdout a terminal: `script` runs it on a pseudo-terminal of its own. */
function onTerminal(options: string, env: Record<string, string> = {}): string {
  const command = loggingProgram(options)
    .map((part) => `'${part.replace(/'/g, `'\\''`)}'`)
    .join(' ');
  const run = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', TERM: 'xterm', ...env },
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.replace(/\r\n/g, '\n');
}

describe('log format: readable on a terminal, JSON otherwise', () => {
  it('writes JSON lines when stdout is not a terminal', () => {
    const entry = JSON.parse(throughPipe('{}').trim());
    assert.equal(entry.msg, 'something to see');
    assert.equal(entry.token, '[redacted]');
  });

  it('writes readable lines, coloured, when stdout is a terminal; credentials are censored there too', () => {
    const text = onTerminal('{}');
    const ESC = '\x1b';
    assert.match(text, /^\d\d:\d\d:\d\d\.\d{3} /);
    assert.equal(text.slice(13), `${ESC}[33mWARN ${ESC}[0m something to see path=/mcp token=[redacted]\n`);
  });

  it('leaves the colours out under NO_COLOR', () => {
    assert.match(onTerminal('{}', { NO_COLOR: '1' }), /^\d\d:\d\d:\d\d\.\d{3} WARN {2}something to see path=\/mcp token=\[redacted\]\n$/);
  });

  it('keeps JSON on a terminal, or readable lines in a pipe, when told', () => {
    assert.equal(JSON.parse(onTerminal("{ format: 'json' }").trim()).token, '[redacted]');
    assert.match(throughPipe("{ format: 'pretty' }"), /^\d\d:\d\d:\d\d\.\d{3} WARN {2}something to see path=\/mcp token=\[redacted\]\n$/);
  });
});
