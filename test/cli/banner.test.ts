import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { banner } from '../../src/cli/banner.js';
import { dataInDataDir, serveUsesDataDir } from '../../src/cli/data-dir.js';
import { loadConfig } from '../../src/config/load.js';
import type { RunningServer } from '../../src/gatehouse.js';
import { serverUrls } from '../../src/resource/urls.js';
import { PASSWORD } from '../helpers/embedded-server.js';
import { addUser, startGatehouse } from '../helpers/gatehouse-process.js';

/** The banner's lines, without the log lines that may follow it on stdout. */
function bannerOf(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('gatehouse:') || line.startsWith('  '));
}

describe('the serve banner', () => {
  it('says the mode, the MCP URL, the data directory and that it was just made, the setup link, and how to connect a client', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'gh-banner-')), 'data');
    const server = await startGatehouse({ dataDir });
    try {
      const mcp = `http://localhost:${server.port}/mcp`;
      const lines = bannerOf(server.process.stderr());
      assert.equal(lines[0], 'gatehouse: Gatehouse is running in embedded mode (its own authorization server and accounts)');
      assert.ok(lines.includes(`  MCP endpoint:       ${mcp}`), lines.join('\n'));
      assert.ok(lines.includes(`  Data directory:     ${dataDir} (created now)`), lines.join('\n'));
      assert.ok(
        lines.some((line) => /^ {2}First-time setup: +http:\/\/localhost:\d+\/setup\?token=\S+$/.test(line)),
        lines.join('\n'),
      );
      assert.ok(!lines.some((line) => line.startsWith('  Accounts:')), 'no count while there is a setup link');
      assert.ok(lines.includes(`  Connect a client:   claude mcp add --transport http gatehouse ${mcp}`), lines.join('\n'));
      assert.ok(lines.includes(`                      (any other client: npx mcp-remote ${mcp})`), lines.join('\n'));
    } finally {
      await server.stop();
    }
  });

  it('on a later start says the directory was there and how many accounts it holds, instead of a setup link', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gh-banner-'));
    await addUser(dataDir, 'ada@example.com', PASSWORD);
    const server = await startGatehouse({ dataDir, args: ['--name', 'Team Notes'] });
    try {
      const lines = bannerOf(server.process.stderr());
      assert.ok(lines.includes(`  Data directory:     ${dataDir} (existing)`), lines.join('\n'));
      assert.ok(lines.includes('  Accounts:           1 account'), lines.join('\n'));
      assert.ok(!lines.some((line) => line.includes('First-time setup')));
      assert.ok(lines.includes(`  Connect a client:   claude mcp add --transport http team-notes http://localhost:${server.port}/mcp`), lines.join('\n'));
    } finally {
      await server.stop();
    }
  });

  it('names a shared store instead of a data directory, never with its password', () => {
    const config = loadConfig({ env: { GATEHOUSE_STORE: 'redis://:s3cret-pass@redis.internal:6379/2', GATEHOUSE_STORE_PREFIX: 'prod' }, cwd: tmpdir() });
    const running = { urls: serverUrls('https://mcp.example.com'), port: 8000, notices: [] } as unknown as RunningServer;
    const text = banner(config, running, undefined);
    assert.match(text, /\n {2}Store: +redis:\/\/redis\.internal:6379\/2 \(prefix prod\)\n/);
    assert.ok(!text.includes('s3cret'));
    assert.ok(!text.includes('Data directory'));
  });

  it('names a PostgreSQL store the same way, and looks for no data directory with it', () => {
    const config = loadConfig({
      env: { GATEHOUSE_STORE: 'postgres://gatehouse:s3cret-pass@db.internal:5432/auth?sslmode=verify-full', GATEHOUSE_STORE_PREFIX: 'prod' },
      cwd: tmpdir(),
    });
    const running = { urls: serverUrls('https://mcp.example.com'), port: 8000, notices: [] } as unknown as RunningServer;
    const text = banner(config, running, undefined);
    assert.match(text, /\n {2}Store: +postgres:\/\/db\.internal:5432\/auth\?sslmode=verify-full \(prefix prod\)\n/);
    assert.ok(!text.includes('s3cret'));
    assert.equal(dataInDataDir(config), false, 'users, clients and keys are in the database');
    assert.equal(serveUsesDataDir(config), false);
  });
});
