import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Facts } from '../../src/client/doctor/facts.js';
import { Http } from '../../src/client/doctor/http.js';
import type { Check } from '../../src/client/doctor/report.js';
import { canonicalResource } from '../../src/client/doctor/resource-url.js';
import { checkHttps } from '../../src/client/doctor/transport.js';
import { parseChallenges } from '../../src/client/doctor/www-authenticate.js';
import { bearerChallenge } from '../../src/index.js';

test('challenges are read as servers write them: several schemes, quoted and bare values, escapes', () => {
  assert.deepEqual(parseChallenges('Bearer scope="a b", resource_metadata="https://x/.well-known/oauth-protected-resource/mcp", DPoP algs="ES256"'), [
    { scheme: 'bearer', params: { scope: 'a b', resource_metadata: 'https://x/.well-known/oauth-protected-resource/mcp' } },
    { scheme: 'dpop', params: { algs: 'ES256' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm=api, Bearer error=invalid_token, error_description="say \\"hi\\""'), [
    { scheme: 'basic', params: { realm: 'api' } },
    { scheme: 'bearer', params: { error: 'invalid_token', error_description: 'say "hi"' } },
  ]);
  assert.deepEqual(parseChallenges('Bearer'), [{ scheme: 'bearer', params: {} }]);
  assert.deepEqual(parseChallenges('Negotiate abc123=='), [{ scheme: 'negotiate', params: { token68: 'abc123==' } }]);
});

test("Gatehouse's own challenge reads back as it was written", () => {
  const header = bearerChallenge({ scopes: ['read:whoami', 'write'], resourceMetadata: 'http://localhost:8000/.well-known/oauth-protected-resource/mcp' });
  assert.deepEqual(parseChallenges(header)[0]?.params, {
    scope: 'read:whoami write',
    resource_metadata: 'http://localhost:8000/.well-known/oauth-protected-resource/mcp',
  });
});

test('the canonical resource drops what RFC 8707 says is not part of it: case, default port, trailing slash', () => {
  assert.equal(canonicalResource(new URL('HTTPS://MCP.Example.com:443/mcp/')), 'https://mcp.example.com/mcp');
  assert.equal(canonicalResource(new URL('https://mcp.example.com')), 'https://mcp.example.com');
  assert.equal(canonicalResource(new URL('http://localhost:8000/team/mcp')), 'http://localhost:8000/team/mcp');
});

function httpsCheck(url: string): Check {
  const parsed = new URL(url);
  const facts: Facts = {
    url: parsed,
    resource: canonicalResource(parsed),
    http: new Http({ timeoutMs: 1000, maxBytes: 1024 }),
    settings: { login: false, registerProbe: false, origin: 'http://localhost:6274', slowMs: 2000 },
  };
  const checks: Check[] = [];
  checkHttps(facts, checks);
  return checks[0]!;
}

test('plain http is a warning on a loopback address and a failure anywhere else', () => {
  assert.equal(httpsCheck('https://mcp.example.com/mcp').status, 'pass');
  for (const url of ['http://localhost:8000/mcp', 'http://127.0.0.1:8000/mcp', 'http://[::1]:8000/mcp']) assert.equal(httpsCheck(url).status, 'warn', url);
  for (const url of ['http://mcp.example.com/mcp', 'http://10.0.0.5/mcp', 'http://localhost.example.com/mcp']) {
    const check = httpsCheck(url);
    assert.equal(check.status, 'fail', url);
    assert.match(check.fix!, /https/);
  }
});
