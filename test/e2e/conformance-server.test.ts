import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { serve } from '../conformance/server.js';

const CONFORMANCE = fileURLToPath(new URL('../../node_modules/.bin/conformance', import.meta.url));
const run = promisify(execFile);

/**
 * Scored 2025-11-25 scenarios the conformance server cannot pass while 2025-era requests are served statelessly
 * (a fresh server instance per request, no session). Each asks the client something through a server-to-client
 * request, whose answer arrives in a later POST that reaches a different instance.
 */
const OPEN_ON_2025_11_25 = new Map([
  ['tools-call-sampling', "sampling/createMessage is a server-to-client request; the client's answer never reaches the instance waiting for it"],
  ['tools-call-elicitation', "elicitation/create is a server-to-client request; the client's answer never reaches the instance waiting for it"],
  ['elicitation-sep1034-defaults', 'the form with defaults is sent as elicitation/create, a server-to-client request'],
  ['elicitation-sep1330-enums', 'the form with enum fields is sent as elicitation/create, a server-to-client request'],
]);

/** Run the conformance CLI and return its report. It exits non-zero when a scored scenario fails; the report is on stdout either way. */
async function conformance(args: string[]): Promise<string> {
  try {
    return (await run(CONFORMANCE, args, { timeout: 240_000, maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    if (stdout?.includes('=== SUMMARY ===')) return stdout;
    assert.fail(`conformance ${args.join(' ')} did not report:\n${stdout}\n${stderr}`);
  }
}

/** The server scenarios a requirement set scores, from `conformance list --requirements`. */
async function scoredServerScenarios(revision: string): Promise<string[]> {
  const listing = await conformance(['list', '--requirements', revision, '--server']);
  const section = listing.split('Server scenarios')[1]?.split('\n\n')[0] ?? '';
  return [...section.matchAll(/^ {2}- (\S+)$/gm)].map((match) => match[1]!);
}

/** Every scenario the run reports in its summary, with its failed-check count (`✓ name: 3 passed, 0 failed`). */
function failedChecksByScenario(report: string): Map<string, number> {
  const summary = report.split('=== SUMMARY ===')[1] ?? '';
  return new Map([...summary.matchAll(/^[✓✗] (\S+): \d+ passed, (\d+) failed$/gm)].map((match) => [match[1]!, Number(match[2])]));
}

/** The scored scenarios with a failed check; a scored scenario missing from the report counts as failing. */
async function failingScoredScenarios(url: string, revision: string): Promise<{ failing: string[]; report: string }> {
  const scored = await scoredServerScenarios(revision);
  assert.ok(scored.length > 0, `no scored server scenarios listed for ${revision}`);
  const report = await conformance(['server', '--url', url, '--requirements', revision]);
  const failed = failedChecksByScenario(report);
  const failing = scored.filter((scenario) => (failed.get(scenario) ?? 1) > 0).sort();
  return { failing, report: report.slice(report.indexOf('=== SUMMARY ===')) };
}

for (const form of ['factory', 'instance'] as const) {
  describe(`the conformance server, protected as ${form === 'factory' ? 'a factory' : 'one instance'}, against the official MCP conformance suite`, () => {
    let running: RunningServer;
    before(async () => {
      running = await serve(0, form);
    });
    after(() => running.close());
    it('passes every scenario the 2026-07-28 requirements score', async () => {
      const { failing, report } = await failingScoredScenarios(running.urls.resource, '2026-07-28');
      assert.deepEqual(failing, [], report);
    });

    it('passes every scenario the 2025-11-25 requirements score but those stateless serving cannot', async () => {
      const { failing, report } = await failingScoredScenarios(running.urls.resource, '2025-11-25');
      // Both ways: a newly failing scenario is a regression, and one that now passes should leave the list.
      assert.deepEqual(failing, [...OPEN_ON_2025_11_25.keys()].sort(), report);
    });
  });
}
