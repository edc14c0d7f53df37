import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { serverFromConfig } from '../../src/config/build.js';
import { loadConfig } from '../../src/config/load.js';
import { makeKey } from '../helpers/issuer.js';
import { captureLogger, postMcp } from '../helpers/server.js';

const ISSUER = 'https://as.example.com';

async function serveWith(env: Record<string, string>) {
  const { logger, lines } = captureLogger();
  const config = loadConfig({ env: { GATEHOUSE_MODE: 'resource', GATEHOUSE_PORT: '0', ...env }, cwd: tmpdir() });
  const running = await (await serverFromConfig(config, logger)).listen(0);
  return { running, lines };
}

async function sign(key: CryptoKey | Uint8Array, alg: string, audience: string) {
  return new SignJWT({ scope: 'read:whoami' })
    .setProtectedHeader({ alg, typ: 'at+jwt' })
    .setIssuer(ISSUER)
    .setSubject('configured')
    .setAudience(audience)
    .setExpirationTime('5m')
    .sign(key);
}

describe('servers built from configuration', () => {
  it('verifies with a public key file (PEM or JWK)', async () => {
    const key = await makeKey('ES256');
    const dir = mkdtempSync(join(tmpdir(), 'gh-key-'));
    const pem = join(dir, 'issuer.pem');
    writeFileSync(pem, createPublicKey({ key: key.publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }));
    const jwk = join(dir, 'issuer.jwk.json');
    writeFileSync(jwk, JSON.stringify(key.publicJwk));
    for (const file of [pem, jwk]) {
      const { running } = await serveWith({ GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_PUBLIC_KEY_FILE: file });
      try {
        assert.equal((await postMcp(running.urls.resource, await sign(key.privateKey, 'ES256', running.urls.resource))).status, 200, file);
        assert.equal((await postMcp(running.urls.resource, await sign(key.privateKey, 'ES256', 'https://other/mcp'))).status, 401);
      } finally {
        await running.close();
      }
    }
  });

  it('verifies HS256 with a secret from the environment', async () => {
    const secret = 'a-very-long-shared-secret-for-hs256-tokens';
    const { running } = await serveWith({ GATEHOUSE_ISSUER: ISSUER, GATEHOUSE_JWT_SECRET: secret });
    try {
      const token = await sign(new TextEncoder().encode(secret), 'HS256', running.urls.resource);
      assert.equal((await postMcp(running.urls.resource, token)).status, 200);
    } finally {
      await running.close();
    }
  });

  it('accepts development static tokens only with a loud warning', async () => {
    const { running, lines } = await serveWith({
      GATEHOUSE_DANGEROUSLY_STATIC_TOKENS: JSON.stringify({ 'local-dev-token-123456': { subject: 'dev', scopes: ['read:whoami'] } }),
    });
    try {
      assert.equal((await postMcp(running.urls.resource, 'local-dev-token-123456')).status, 200);
      assert.equal((await postMcp(running.urls.resource, 'local-dev-token-654321')).status, 401);
      assert.ok(lines.some((l) => /DANGER: static tokens/.test(l)));
      assert.ok(!lines.some((l) => l.includes('local-dev-token-123456')));
    } finally {
      await running.close();
    }
  });
});
