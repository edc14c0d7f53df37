import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The black-box security suites: the checklist's §2.1 (A1–A18), §3 (the proxy's P-attacks) and the §2.2 items
 * (R1–R12) as they apply to the authorization server's own tokens.
 */
const SUITES = ['test/authserver/attacks/*.test.ts', 'test/federated/attacks.test.ts', 'test/checklist/embedded.test.ts', 'test/checklist/federated.test.ts'];

function runSuites(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  // A test runner started from inside a test file must not think it is one of this runner's children.
  const { NODE_TEST_CONTEXT: _context, ...inherited } = process.env;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=tap', ...SUITES], {
      cwd: ROOT,
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/**
 * One combination the default run does not cover (it runs embedded mode on SQLite), as a file of its own so the
 * runner spreads the combinations over its workers and each stays within the per-file timeout.
 */
export function securitySuitesPassIn(mode: 'embedded' | 'federated', store: 'sqlite' | 'redis'): void {
  it(`the security suites pass in ${mode} mode on ${store === 'redis' ? 'Redis' : 'SQLite'}`, async () => {
    const { code, output } = await runSuites({ GATEHOUSE_TEST_MODE: mode, GATEHOUSE_TEST_STORE: store });
    assert.equal(code, 0, `failures in ${mode}/${store}:\n${output.slice(-6000)}`);
    assert.match(output, /# pass [1-9]\d+/, 'the suites ran');
  });
}
