import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { TestIntrospectionServer } from '../helpers/introspection-server.js';
import { TestIssuer } from '../helpers/issuer.js';
import { BIN, freePort, runCli } from '../helpers/cli.js';

async function whoami(url: string, token: string) {
  const client = new Client({ name: 'cli-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  await client.close();
  return result.structuredContent as Record<string, unknown>;
}

describe('gatehouse serve', () => {
  let issuer: TestIssuer;
  let introspectionServer: TestIntrospectionServer;
  before(async () => {
    issuer = await TestIssuer.start();
    introspectionServer = await TestIntrospectionServer.start();
  });
  after(async () => {
    await issuer.close();
    await introspectionServer.close();
  });

  it('exits non-zero naming the setting and the fix when configuration is missing or wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-cli-'));
    const missing = runCli(['serve', '--mode', 'resource', '--data-dir', dir]);
    assert.equal(await missing.exited, 2);
    assert.match(missing.stderr(), /jwksUri \(--jwks-uri \/ GATEHOUSE_JWKS_URI\): resource mode needs a way to verify tokens/);

    const bad = runCli(['serve', '--mode', 'resource', '--issuer', issuer.url, '--jwks-uri', issuer.jwksUri, '--port', 'eighty']);
    assert.equal(await bad.exited, 2);
    assert.match(bad.stderr(), /port \(--port \/ GATEHOUSE_PORT\)/);

    const proxy = runCli(['serve', '--mode', 'resource', '--issuer', issuer.url, '--jwks-uri', issuer.jwksUri, '--trust-proxy', '10.0.0.300/8']);
    assert.equal(await proxy.exited, 2);
    assert.match(
      proxy.stderr(),
      /trustProxy \(--trust-proxy \/ GATEHOUSE_TRUST_PROXY\): "10\.0\.0\.300\/8" is not an IP address or CIDR range .*; give the proxies' addresses or CIDR ranges .* or a hop count/,
    );
  });

  it('serves resource mode from flags, prints the URLs and mode, and stops cleanly', async () => {
    const port = await freePort();
    const publicUrl = `http://localhost:${port}`;
    const cli = runCli([
      'serve',
      '--mode',
      'resource',
      '--port',
      String(port),
      '--public-url',
      publicUrl,
      '--issuer',
      issuer.url,
      '--jwks-uri',
      issuer.jwksUri,
    ]);
    try {
      await cli.waitFor(/Resource metadata/);
      assert.match(cli.stderr(), new RegExp(`MCP endpoint: +${publicUrl}/mcp`));
      assert.match(cli.stderr(), new RegExp(`Resource metadata: +${publicUrl}/.well-known/oauth-protected-resource/mcp`));
      assert.match(cli.stderr(), /in resource mode/);
      const token = await issuer.token(`${publicUrl}/mcp`, { sub: 'cli-user' });
      assert.equal((await whoami(`${publicUrl}/mcp`, token))['subject'], 'cli-user');
      assert.ok(!cli.stdout().includes(token), 'the token is never logged');
      assert.match(cli.stdout(), /"subject":"cli-user"/);
    } finally {
      assert.equal(await cli.stop(), 0);
    }
  });

  it('reads every flag from GATEHOUSE_* variables, introspection credentials included, and never logs the secret', async () => {
    const port = await freePort();
    const publicUrl = `http://localhost:${port}`;
    introspectionServer.tokens.set('opaque-token-123', {
      sub: 'intro-user',
      aud: `${publicUrl}/mcp`,
      scope: 'read:whoami',
      exp: Math.floor(Date.now() / 1000) + 300,
    });
    const cli = runCli(['serve'], {
      GATEHOUSE_MODE: 'resource',
      GATEHOUSE_PORT: String(port),
      GATEHOUSE_PUBLIC_URL: publicUrl,
      GATEHOUSE_ISSUER: issuer.url,
      GATEHOUSE_INTROSPECTION_URL: introspectionServer.endpoint,
      GATEHOUSE_INTROSPECTION_CLIENT_ID: introspectionServer.clientId,
      GATEHOUSE_INTROSPECTION_CLIENT_SECRET: introspectionServer.clientSecret,
      GATEHOUSE_LOG_LEVEL: 'debug',
    });
    try {
      await cli.waitFor(/Resource metadata/);
      assert.equal((await whoami(`${publicUrl}/mcp`, 'opaque-token-123'))['subject'], 'intro-user');
      const output = cli.stdout() + cli.stderr();
      assert.ok(!output.includes(introspectionServer.clientSecret));
      assert.ok(!output.includes('opaque-token-123'));
    } finally {
      await cli.stop();
    }
  });

  it('runs with development keys and `gatehouse token` mints tokens it accepts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-dev-'));
    const port = await freePort();
    const cli = runCli(['serve', '--mode', 'resource', '--dev-keys', '--data-dir', dir, '--port', String(port)]);
    try {
      await cli.waitFor(/Get a token/);
      assert.equal(statSync(join(dir, 'dev-signing-key.json')).mode & 0o777, 0o600, 'the private key is readable by its owner only');
      const mint = runCli(['token', '--dev-keys', '--data-dir', dir, '--port', String(port), '--sub', 'dev-ada', '--email', 'ada@example.com']);
      assert.equal(await mint.exited, 0);
      const token = mint.stdout().trim();
      const me = await whoami(`http://localhost:${port}/mcp`, token);
      assert.equal(me['subject'], 'dev-ada');
      assert.equal(me['email'], 'ada@example.com');

      const other = runCli(['token', '--dev-keys', '--data-dir', mkdtempSync(join(tmpdir(), 'gh-dev-')), '--port', String(port)]);
      assert.equal(await other.exited, 0);
      const foreign = await fetch(`http://localhost:${port}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${other.stdout().trim()}` } });
      assert.equal(foreign.status, 401, 'a token signed with another data directory key is refused');
    } finally {
      await cli.stop();
    }
  });

  it('serves MCP over stdio without OAuth, keeping stdout for the protocol', async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'serve', '--stdio'], stderr: 'pipe' });
    const client = new Client({ name: 'stdio-test', version: '1' });
    await client.connect(transport);
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    assert.equal((result.structuredContent as Record<string, unknown>)['authenticated'], false);
    await client.close();
  });
});
