/**
 * The whole test run behind `npm test`: the tests, then the leak scan over everything they recorded — the scan
 * runs whether the tests passed or not, so a failing test cannot hide a leaked secret. The last two lines say
 * how each went (`.ci/run` reads them); the exit code is 0 only when both passed.
 *
 *   node --import tsx test/suite.ts                     # every *.test.ts under test/
 *   node --import tsx test/suite.ts test/ops/*.test.ts  # only these files, leak scan and all
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const leakDir = process.env['GATEHOUSE_LEAK_DIR'] ?? join(process.cwd(), '.test-leaks');
const files = process.argv.slice(2);
const env = { ...process.env, GATEHOUSE_LEAK_DIR: leakDir };
const leakScan = join(import.meta.dirname, 'leak-scan.ts');

/** Run node with these arguments, its output passed straight through; its exit code (1 when it died by a signal). */
function node(args: readonly string[]): number {
  const run = spawnSync(process.execPath, ['--import', 'tsx', ...args], { env, stdio: 'inherit' });
  if (run.error) throw run.error;
  return run.status ?? 1;
}

const verdict = (what: string, code: number) => (code === 0 ? `suite: ${what} passed` : `suite: ${what} failed (exit ${code})`);

const reset = node([leakScan, 'reset']);
if (reset !== 0) {
  process.stdout.write(`${verdict('leak scan reset', reset)}\n`);
  process.exit(reset);
}
const tests = node(['--test', '--test-concurrency=2', '--test-timeout=600000', ...(files.length > 0 ? files : ['test/**/*.test.ts'])]);
const leaks = node([leakScan, 'check']);
process.stdout.write(`${verdict('tests', tests)}\n${verdict('leak scan', leaks)}\n`);
process.exitCode = tests !== 0 ? tests : leaks;
