import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findPreset } from '../../src/authserver/clients/presets.js';
import { publicUrlWarning, unreachableFromInternet } from '../../src/authserver/clients/public-url.js';
import { runCli } from '../helpers/cli.js';
import { noteDataDir } from '../helpers/leak-record.js';

/** `gatehouse clients add …` to completion: exit code and both streams. */
async function clientsAdd(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cloud-presets-'));
  noteDataDir(dataDir);
  const run = runCli(['clients', 'add', ...args, '--data-dir', dataDir]);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe('which MCP URLs a client on the internet can reach', () => {
  it('only a public https URL', () => {
    assert.equal(unreachableFromInternet('https://mcp.example.com/mcp'), undefined);
    assert.equal(unreachableFromInternet('https://203.0.114.7/mcp'), undefined);
    for (const url of [
      'http://localhost:8000/mcp',
      'https://localhost/mcp',
      'http://127.0.0.1:8000/mcp',
      'http://[::1]:8000/mcp',
      'https://10.1.2.3/mcp',
      'https://192.168.1.20:8443/mcp',
      'https://[fd00::1]/mcp',
      'https://mcp.internal/mcp',
      'https://laptop.local/mcp',
      'https://devbox/mcp',
    ]) {
      assert.match(unreachableFromInternet(url) ?? '', /address of this machine or its network/, url);
    }
    assert.match(unreachableFromInternet('http://mcp.example.com/mcp') ?? '', /plain http/);
  });

  it('warns for the cloud presets only, naming the URL and how to get a public one', () => {
    const warning = publicUrlWarning(findPreset('chatgpt')!, 'http://localhost:8000/mcp');
    assert.equal(
      warning,
      'ChatGPT connects from its own servers on the internet and cannot reach http://localhost:8000/mcp (localhost is an address of this machine or its network). ' +
        'Give this server a public https URL: run a tunnel to it (cloudflared tunnel --url http://localhost:8000, or ngrok http http://localhost:8000), ' +
        'start it with --public-url https://<the tunnel host>, and give the client https://<the tunnel host>/mcp.',
    );
    assert.ok(publicUrlWarning(findPreset('claude')!, 'http://localhost:8000/mcp'));
    assert.equal(publicUrlWarning(findPreset('claude')!, 'https://mcp.example.com/mcp'), undefined);
    for (const local of ['claude-code', 'cursor', 'vscode', 'mcp-inspector', 'mcp-remote']) {
      assert.equal(publicUrlWarning(findPreset(local)!, 'http://localhost:8000/mcp'), undefined, local);
    }
  });
});

describe('gatehouse clients add --preset claude | chatgpt (needs npm run build)', () => {
  for (const preset of ['claude', 'chatgpt']) {
    it(`${preset} on the default localhost URL: registered, with one warning line saying how to get a public URL`, async () => {
      const { code, stdout, stderr } = await clientsAdd(['--preset', preset]);
      assert.equal(code, 0, stderr);
      assert.match(stdout, /client_id: /);
      const lines = stderr.trim().split('\n');
      assert.equal(lines.length, 1, stderr);
      assert.match(
        lines[0]!,
        /^warning: .* cannot reach http:\/\/localhost:8000\/mcp .*cloudflared tunnel --url http:\/\/localhost:8000.*--public-url https:\/\/<the tunnel host>/,
      );
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack');
    });
  }

  it('no warning with a public https URL, nor for a client on this machine', async () => {
    const publicUrl = await clientsAdd(['--preset', 'chatgpt', '--public-url', 'https://mcp.example.com']);
    assert.equal(publicUrl.code, 0, publicUrl.stderr);
    assert.equal(publicUrl.stderr, '');
    assert.match(publicUrl.stdout, /Server URL: https:\/\/mcp\.example\.com\/mcp/);
    const local = await clientsAdd(['--preset', 'cursor']);
    assert.equal(local.code, 0, local.stderr);
    assert.equal(local.stderr, '');
  });
});
