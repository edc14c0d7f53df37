import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const base = { GATEHOUSE_MODE: 'resource', GATEHOUSE_ISSUER: 'https://as.example.com', GATEHOUSE_JWKS_URI: 'https://as.example.com/jwks' };

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('configuration', () => {
  it('reads every setting from GATEHOUSE_<NAME> environment variables', () => {
    const config = loadConfig({
      env: {
        ...base,
        GATEHOUSE_PUBLIC_URL: 'https://mcp.example.com',
        GATEHOUSE_PORT: '9001',
        GATEHOUSE_TRUST_PROXY: 'true',
        GATEHOUSE_ALLOWED_HOSTS: 'a.example, b.example',
        GATEHOUSE_SCOPE_HIERARCHY: '{"admin":["read:whoami"]}',
      },
      cwd: tmpdir(),
    });
    assert.equal(config.publicUrl, 'https://mcp.example.com');
    assert.equal(config.port, 9001);
    assert.equal(config.trustProxy, true);
    assert.deepEqual(config.allowedHosts, ['a.example', 'b.example']);
    assert.deepEqual(config.scopeHierarchy, { admin: ['read:whoami'] });
    assert.equal(config.mode, 'resource');
    assert.equal(loadConfig({ env: {}, cwd: tmpdir() }).mode, 'embedded', 'embedded is the default mode');
    assert.equal(config.mcpPath, '/mcp');
  });

  it('lets flags override the environment, which overrides the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-config-'));
    writeFileSync(
      join(dir, 'gatehouse.json'),
      JSON.stringify({ mode: 'resource', ...{ issuer: 'https://file.example', jwksUri: 'https://file.example/jwks' }, port: 7000, name: 'From file' }),
    );
    const config = loadConfig({ env: { GATEHOUSE_PORT: '7100' }, flags: { name: 'From flag' }, cwd: dir });
    assert.equal(config.issuer, 'https://file.example');
    assert.equal(config.port, 7100);
    assert.equal(config.name, 'From flag');
  });

  it('names the missing setting and the fix when no verifier is configured', () => {
    const [problem] = problems(() => loadConfig({ env: { GATEHOUSE_MODE: 'resource' }, cwd: tmpdir() }));
    assert.match(problem!, /jwksUri \(--jwks-uri \/ GATEHOUSE_JWKS_URI\): resource mode needs a way to verify tokens/);
  });

  it('requires the issuer with an external verifier', () => {
    const found = problems(() => loadConfig({ env: { GATEHOUSE_MODE: 'resource', GATEHOUSE_JWKS_URI: 'https://as.example.com/jwks' }, cwd: tmpdir() }));
    assert.ok(
      found.some((p) => /^issuer \(--issuer \/ GATEHOUSE_ISSUER\): required in resource mode/.test(p)),
      found.join('\n'),
    );
  });

  it('requires introspection credentials from the environment', () => {
    const found = problems(() =>
      loadConfig({
        env: { GATEHOUSE_MODE: 'resource', GATEHOUSE_ISSUER: 'https://as.example.com', GATEHOUSE_INTROSPECTION_URL: 'https://as.example.com/introspect' },
        cwd: tmpdir(),
      }),
    );
    assert.ok(found.some((p) => p.startsWith('introspectionClientId (--introspection-client-id / GATEHOUSE_INTROSPECTION_CLIENT_ID)')));
    assert.ok(found.some((p) => p.startsWith('introspectionClientSecret (GATEHOUSE_INTROSPECTION_CLIENT_SECRET)')));
  });

  it('reads --trust-proxy as proxy addresses/CIDR ranges or a hop count, and refuses anything else naming the fix', () => {
    const read = (value: string) => loadConfig({ env: { ...base, GATEHOUSE_TRUST_PROXY: value }, cwd: tmpdir() }).trustProxy;
    assert.equal(read('2'), '2');
    assert.equal(read('off'), false);
    assert.equal(read('10.0.0.0/8, fd00::/8, 192.0.2.1'), '10.0.0.0/8, fd00::/8, 192.0.2.1');
    assert.equal(loadConfig({ env: base, cwd: tmpdir() }).trustProxy, false, 'off by default');
    assert.equal(loadConfig({ env: { ...base, GATEHOUSE_TRUST_PROXY_HEADER: 'forwarded' }, cwd: tmpdir() }).trustProxyHeader, 'forwarded');
    for (const bad of ['10.0.0.300', '10.0.0.0/33', 'fd00::/129', 'proxy.internal', '-1', '1.5', ',']) {
      const found = problems(() => loadConfig({ env: { ...base, GATEHOUSE_TRUST_PROXY: bad }, cwd: tmpdir() }));
      assert.ok(
        found.some((p) => /^trustProxy \(--trust-proxy \/ GATEHOUSE_TRUST_PROXY\): .*(addresses or CIDR ranges|hop count)/.test(p)),
        `${bad} → ${found.join(' | ')}`,
      );
    }
    assert.ok(
      problems(() => loadConfig({ env: { ...base, GATEHOUSE_TRUST_PROXY_HEADER: 'x-real-ip' }, cwd: tmpdir() })).some((p) => /^trustProxyHeader/.test(p)),
    );
  });

  it('rejects bad values with the setting named', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ GATEHOUSE_PORT: 'eighty' }, /^port \(--port \/ GATEHOUSE_PORT\)/],
      [{ GATEHOUSE_PUBLIC_URL: 'not a url' }, /^publicUrl \(--public-url \/ GATEHOUSE_PUBLIC_URL\): "not a url" is not a URL/],
      [
        { GATEHOUSE_PUBLIC_URL: 'https://ada:secret@mcp.example.com' },
        /^publicUrl .*: carries a user name or password, which every published URL would show: leave them out$/,
      ],
      [
        { GATEHOUSE_PUBLIC_URL: 'https://mcp.example.com/?team=1' },
        /^publicUrl .*: "https:\/\/mcp\.example\.com\/\?team=1" has a query or fragment, .*: write https:\/\/mcp\.example\.com$/,
      ],
      [{ GATEHOUSE_CLOCK_TOLERANCE_SECONDS: '600' }, /^clockToleranceSeconds/],
      [{ GATEHOUSE_ALGORITHMS: 'none' }, /^algorithms/],
      [{ GATEHOUSE_TRUST_PROXY: 'maybe' }, /^trustProxy/],
      [{ GATEHOUSE_REQUIRED_SCOPES: 'ok,"bad"' }, /^requiredScopes/],
      [{ GATEHOUSE_JWT_SECRET: 'short' }, /^jwtSecret \(GATEHOUSE_JWT_SECRET\): must be at least 32/],
    ];
    for (const [env, pattern] of cases) {
      const found = problems(() => loadConfig({ env: { ...base, ...env }, cwd: tmpdir() }));
      assert.ok(
        found.some((p) => pattern.test(p)),
        `${JSON.stringify(env)} → ${found.join(' | ')}`,
      );
    }
  });

  it('refuses two verifiers at once and unknown keys in the config file', () => {
    assert.ok(
      problems(() => loadConfig({ env: { ...base, GATEHOUSE_INTROSPECTION_URL: 'https://as.example.com/i' }, cwd: tmpdir() })).some((p) =>
        /choose one way/.test(p),
      ),
    );
    const dir = mkdtempSync(join(tmpdir(), 'gh-config-'));
    writeFileSync(
      join(dir, 'gatehouse.json'),
      JSON.stringify({ mode: 'resource', issuer: 'https://as.example.com', jwksUri: 'https://as.example.com/jwks', jwksUrl: 'typo' }),
    );
    assert.ok(problems(() => loadConfig({ env: {}, cwd: dir })).some((p) => /jwksUrl/.test(p)));
  });

  it('explains an unreadable or malformed config file', () => {
    assert.match(problems(() => loadConfig({ env: {}, configFile: '/nonexistent/gatehouse.json' }))[0]!, /cannot be read/);
    const dir = mkdtempSync(join(tmpdir(), 'gh-config-'));
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    assert.match(problems(() => loadConfig({ env: {}, configFile: 'bad.json', cwd: dir }))[0]!, /must be a JSON object/);
  });
});
