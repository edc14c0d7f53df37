import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { dangerouslyNoAuth, gatehouse, whoamiTool } from '../../src/index.js';
import type { RunningServer } from '../../src/gatehouse.js';
import { captureLogger } from '../helpers/server.js';

const CONFORMANCE = fileURLToPath(new URL('../../node_modules/.bin/conformance', import.meta.url));
const run = promisify(execFile);

/**
 * The official MCP conformance suite's server scenarios that apply to a server exposing only `whoami`.
 * They connect without credentials, so they run against the unauthenticated mode with Host/Origin checks still on
 * (the DNS-rebinding scenario expects 2xx for localhost and 4xx for a foreign Host or Origin).
 */
const SCENARIOS = ['dns-rebinding-protection', 'server-initialize', 'ping', 'tools-list'];

describe('official MCP conformance scenarios', () => {
  let running: RunningServer;
  before(async () => {
    running = await gatehouse({ name: 'Conformance', auth: dangerouslyNoAuth(), logger: captureLogger().logger }).addTool(whoamiTool).listen(0);
  });
  after(() => running.close());

  for (const scenario of SCENARIOS) {
    it(scenario, async () => {
      const { stdout } = await run(CONFORMANCE, ['server', '--url', running.urls.resource, '--scenario', scenario], { timeout: 60_000 }).catch(
        (error: { stdout?: string; stderr?: string }) => assert.fail(`${scenario} failed:\n${error.stdout}\n${error.stderr}`),
      );
      assert.match(stdout, /Passed: (\d+)\/\1, 0 failed/);
    });
  }
});
