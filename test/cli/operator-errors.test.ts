import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

/** Run `gatehouse <args>`; it must exit 2 with exactly these lines on stderr: no stack, no banner, no log. */
async function refused(args: string[], lines: string[], env: Record<string, string> = {}) {
  const run = runCli(args, env);
  run.child.stdin.end();
  const code = await run.exited;
  assert.equal(code, 2, `${args.join(' ')}: ${run.stderr()}`);
  assert.equal(run.stderr(), lines.map((line) => `${line}\n`).join(''), args.join(' '));
  assert.equal(run.stdout(), '', 'nothing on stdout');
}

const PUBLIC_URL = 'gatehouse: publicUrl (--public-url / GATEHOUSE_PUBLIC_URL)';

describe('operator mistakes: one line naming the flag and variable, what is wrong, and the fix; exit 2', () => {
  it('--public-url without http(s)', async () => {
    await refused(
      ['serve', '--public-url', 'ftp://mcp.example.com'],
      [`${PUBLIC_URL}: "ftp://mcp.example.com" uses ftp, but MCP clients connect over http or https: write https://mcp.example.com`],
    );
    await refused(['serve', '--public-url', 'localhost:8001'], [`${PUBLIC_URL}: "localhost:8001" has no http:// or https://: write http://localhost:8001`]);
    await refused(['serve'], [`${PUBLIC_URL}: "mcp.example.com" has no http:// or https://: write https://mcp.example.com`], {
      GATEHOUSE_PUBLIC_URL: 'mcp.example.com',
    });
    // Every command reads the same settings the same way.
    await refused(
      ['clients', 'add', '--preset', 'cursor', '--public-url', 'localhost:8001'],
      [`${PUBLIC_URL}: "localhost:8001" has no http:// or https://: write http://localhost:8001`],
    );
  });

  it('--public-url that already ends with the MCP path is refused with the base URL to give', async () => {
    await refused(
      ['serve', '--public-url', 'https://mcp.example.com/mcp'],
      [
        `${PUBLIC_URL}: "https://mcp.example.com/mcp" ends with the MCP path /mcp, which Gatehouse adds to it (MCP would be at https://mcp.example.com/mcp/mcp): give the server's base URL, https://mcp.example.com, and clients connect to https://mcp.example.com/mcp`,
      ],
    );
    await refused(
      ['serve', '--public-url', 'https://example.com/team/rpc/', '--mcp-path', '/rpc'],
      [
        `${PUBLIC_URL}: "https://example.com/team/rpc/" ends with the MCP path /rpc, which Gatehouse adds to it (MCP would be at https://example.com/team/rpc/rpc): give the server's base URL, https://example.com/team, and clients connect to https://example.com/team/rpc`,
      ],
    );
  });
});
