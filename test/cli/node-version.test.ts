import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { describeNodeRange, nodeSupportProblem, parseNodeRange, satisfies, supportedNodeRange } from '../../src/cli/node-support.js';
import { BIN } from '../helpers/cli.js';
import { nodeFromRegistry } from '../helpers/node-from-registry.js';

const RANGE = '^22.20.0 || >=24.11.0';

function run(node: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(node, [BIN, ...args], { env: { PATH: process.env['PATH'] ?? '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('the Node.js check', () => {
  it('reads the range from package.json, which is what npm enforces', () => {
    const engines = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } }).engines.node;
    assert.equal(supportedNodeRange(), engines);
    assert.equal(engines, RANGE, 'the minimum found by running the suite on older releases (see src/cli/node-support.ts)');
    assert.equal(nodeSupportProblem(), undefined, `the Node running the tests (${process.versions.node}) is supported`);
  });

  it('admits 22.20+ within 22.x and 24.11+, and nothing below or in between', () => {
    for (const version of ['22.20.0', '22.23.5', '24.11.0', '24.22.3', '25.0.0', '26.1.2']) assert.ok(satisfies(version, RANGE), version);
    for (const version of ['20.20.2', '22.11.0', '22.19.0', '23.11.1', '24.0.0', '24.10.0', '18.20.0']) assert.ok(!satisfies(version, RANGE), version);
    assert.equal(describeNodeRange(RANGE), '22.20 or a later 22.x, or 24.11 or newer');
    assert.throws(() => parseNodeRange('>=22 <25'), /not of the form/, 'an unexpected range fails loudly instead of admitting anything');
  });

  it('says in one line which Node this is, what is needed and where to get it', () => {
    assert.equal(
      nodeSupportProblem('22.11.0', RANGE),
      'this is Node.js 22.11.0; Gatehouse needs Node.js 22.20 or a later 22.x, or 24.11 or newer (engines ^22.20.0 || >=24.11.0): install the current LTS release from https://nodejs.org/en/download (or `nvm install --lts`)',
    );
  });

  for (const version of ['20.20.2', '22.19.0']) {
    it(`stops the CLI on Node ${version} from the npm registry before anything is loaded: exit 2, one line, no stack`, async () => {
      const oldNode = await nodeFromRegistry(version);
      for (const args of [['serve'], ['users', 'list'], ['--version']]) {
        const { code, stdout, stderr } = await run(oldNode, args);
        assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
        assert.equal(stdout, '');
        assert.equal(stderr, `gatehouse: ${nodeSupportProblem(version, RANGE)}\n`, 'only the one line: no warning of a dependency, no stack');
      }
    });
  }
});
