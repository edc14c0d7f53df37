import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The official conformance client suite run against Gatehouse's client, one requirement set per test file (the
 * runner starts every scenario at once, so a set takes minutes on a busy machine).
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFORMANCE = fileURLToPath(new URL('../../node_modules/.bin/conformance', import.meta.url));
/** The contract: the runner appends each scenario's server URL to this command, run from the project root. */
const DRIVER = 'npx tsx test/conformance/client.ts';
const run = promisify(execFile);

/** Extension scenarios run (and reported) with every revision but scored by none, which Gatehouse's client passes too. */
const EXTENSIONS = ['auth/client-credentials-basic', 'auth/client-credentials-jwt', 'auth/dpop', 'auth/dpop-nonce', 'auth/enterprise-managed-authorization'];

/**
 * The runner starts every scenario's client at once, each a fresh `npx tsx`: on a busy machine one can take minutes
 * to start, and a client the runner times out is a failure that says nothing about the client.
 */
const CLIENT_TIMEOUT_MS = 400_000;

async function conformance(args: string[]): Promise<string> {
  try {
    return (await run(CONFORMANCE, args, { cwd: ROOT, timeout: CLIENT_TIMEOUT_MS + 100_000, maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    if (stdout?.includes('SUMMARY ===')) return stdout;
    assert.fail(`conformance ${args.join(' ')} did not report:\n${stdout}\n${stderr}`);
  }
}

/** The client scenarios a requirement set scores, from `conformance list --requirements`. */
async function scoredClientScenarios(revision: string): Promise<string[]> {
  const listing = await conformance(['list', '--requirements', revision]);
  const section = listing.split('Client scenarios')[1]?.split('\n\n')[0] ?? '';
  return [...section.matchAll(/^ {2}- (\S+)$/gm)].map((match) => match[1]!);
}

/** Every scenario in the run's summary with its failed-check count (`✓ name: 3 passed, 0 failed`). */
function failedChecksByScenario(report: string): Map<string, number> {
  const summary = report.split('SUMMARY ===')[1] ?? '';
  return new Map([...summary.matchAll(/^[✓✗] (\S+): \d+ passed, (\d+) failed$/gm)].map((match) => [match[1]!, Number(match[2])]));
}

/** The scored scenarios of `revision`, and the extensions, that did not pass; and the report's summary. */
export async function failingClientScenarios(revision: string): Promise<{ failing: string[]; summary: string }> {
  const scored = await scoredClientScenarios(revision);
  assert.ok(scored.length > 10, `only ${scored.length} scored client scenarios listed for ${revision}`);
  const report = await conformance(['client', '--command', DRIVER, '--requirements', revision, '--timeout', String(CLIENT_TIMEOUT_MS)]);
  const failed = failedChecksByScenario(report);
  // A scenario missing from the report counts as failing.
  const failing = [...scored, ...EXTENSIONS].filter((scenario) => (failed.get(scenario) ?? 1) > 0).sort();
  return { failing, summary: report.slice(report.indexOf('SUMMARY ===')) };
}

/** Long enough for one requirement set on a busy machine, and within the suite's ten minutes per test file. */
export const SUITE_TIMEOUT_MS = CLIENT_TIMEOUT_MS + 150_000;
