import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

/** A mistake on the command line: exit 2 and exactly this one line on stderr, nothing on stdout. */
async function refused(args: string[], line: string, env: Record<string, string> = {}) {
  const run = runCli(['connect', ...args], env);
  run.child.stdin.end();
  const code = await run.exited;
  assert.equal(code, 2, `${args.join(' ')}: ${run.stderr()}`);
  assert.equal(run.stdout(), '');
  assert.equal(run.stderr(), `gatehouse: ${line}\n`, args.join(' '));
}

const URL_ = 'https://mcp.example/mcp';

describe('gatehouse connect, mistyped', () => {
  it('names the flag and the fix in one line, exit 2, before connecting anywhere', async () => {
    await refused(['file:///etc/passwd'], '<mcp-url> "file:///etc/passwd" is not an http(s) URL; give the MCP server\'s URL, e.g. https://mcp.example.com/mcp');
    await refused([URL_, '--list', '--read', 'notes://x'], '--list and --read cannot be combined: give one of --list, --call, --read');
    await refused([URL_, '--args', '{}x'], '--args goes with --call <tool>');
    await refused([URL_, '--call', 'whoami', '--args', 'nope'], `--args is not JSON: give the tool's arguments as a JSON object, e.g. --args '{"name":"ada"}'`);
    await refused([URL_, '--call', 'whoami', '--args', '[1]'], '--args must be a JSON object, e.g. {"name":"ada"}');
    await refused([URL_, '--client-secret', 's'], 'a client secret needs its --client-id');
    await refused([URL_, '--list'], 'a client secret needs its --client-id', { GATEHOUSE_CONNECT_CLIENT_SECRET: 's' });
    await refused([URL_, '--client-credentials'], '--client-credentials needs --client-id');
    await refused(
      [URL_, '--client-credentials', '--client-id', 'c'],
      '--client-credentials needs --client-secret (or GATEHOUSE_CONNECT_CLIENT_SECRET) or --private-key <file>',
    );
    await refused([URL_, '--private-key', '/nonexistent.pem'], '--private-key goes with --client-credentials');
    await refused(
      [URL_, '--client-credentials', '--client-id', 'c', '--private-key', '/nonexistent.pem'],
      '--private-key /nonexistent.pem: cannot be read (ENOENT)',
    );
    await refused(
      [URL_, '--client-metadata-url', 'http://app.example/client.json'],
      '--client-metadata-url must be an https URL with a path, e.g. https://app.example.com/client.json',
    );
  });
});
