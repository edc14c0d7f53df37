import assert from 'node:assert/strict';
import { createPublicKey, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { SignJWT, exportSPKI, base64url } from 'jose';
import { InvalidTokenError, VerifierUnavailableError, jwt } from '../../src/index.js';
import { TestIssuer, makeKey } from '../helpers/issuer.js';

const RESOURCE = 'http://localhost:9999/mcp';

async function rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof InvalidTokenError && pattern.test(error.message));
}

describe('jwt verifier', () => {
  let issuer: TestIssuer;
  before(async () => {
    issuer = await TestIssuer.start();
  });
  after(() => issuer.close());

  const verifier = () => jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri });

  it('accepts a valid token and reads its claims', async () => {
    const token = await issuer.token(RESOURCE, { sub: 'ada', scope: 'read:whoami write:x', claims: { email: 'ada@example.com' } });
    const verified = await verifier().verify(token);
    assert.equal(verified.subject, 'ada');
    assert.deepEqual(verified.scopes, ['read:whoami', 'write:x']);
    assert.deepEqual(verified.audience, [RESOURCE]);
    assert.equal(verified.clientId, 'test-client');
    assert.equal(verified.email, 'ada@example.com');
    assert.equal(verified.issuer, issuer.url);
  });

  it('reads scopes from scp as an array', async () => {
    const token = await issuer.token(RESOURCE, { scp: ['read:whoami', 'admin'] });
    assert.deepEqual((await verifier().verify(token)).scopes, ['read:whoami', 'admin']);
  });

  it('refuses a token from another issuer', async () => {
    await rejects(verifier().verify(await issuer.token(RESOURCE, { iss: 'https://evil.example' })), /untrusted issuer/);
  });

  it('refuses an expired token, but tolerates bounded clock skew', async () => {
    const v = jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri, clockToleranceSeconds: 30 });
    await rejects(v.verify(await issuer.token(RESOURCE, { expiresIn: -120 })), /expired/);
    assert.equal((await v.verify(await issuer.token(RESOURCE, { expiresIn: -10 }))).subject, 'user-1');
  });

  it('refuses a token that is not valid yet', async () => {
    await rejects(verifier().verify(await issuer.token(RESOURCE, { notBefore: 600 })), /not valid yet/);
  });

  it('refuses a token without exp', async () => {
    await rejects(verifier().verify(await issuer.token(RESOURCE, { omitExp: true })), /exp/);
  });

  it('refuses alg none', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }));
    const now = Math.floor(Date.now() / 1000);
    const payload = base64url.encode(JSON.stringify({ iss: issuer.url, sub: 'mallory', aud: RESOURCE, exp: now + 300, scope: 'read:whoami' }));
    await rejects(verifier().verify(`${header}.${payload}.`), /.+/);
  });

  it('refuses HS256 signed with the issuer public key as the secret (algorithm confusion)', async () => {
    const pem = await exportSPKI(createPublicKey({ key: issuer.keys[0]!.publicJwk as never, format: 'jwk' }) as never);
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ scope: 'read:whoami' })
      .setProtectedHeader({ alg: 'HS256', kid: issuer.keys[0]!.kid, typ: 'at+jwt' })
      .setIssuer(issuer.url)
      .setSubject('mallory')
      .setAudience(RESOURCE)
      .setExpirationTime(now + 300)
      .sign(new TextEncoder().encode(pem));
    await rejects(verifier().verify(forged), /algorithm|signature|key/);
  });

  it('refuses algorithms outside the allowlist, and never allows none or HS with public keys', async () => {
    const v = jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri, algorithms: ['ES256'] });
    await rejects(v.verify(await issuer.token(RESOURCE)), /algorithm/);
    assert.throws(() => jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri, algorithms: ['none'] }), /not allowed/);
    assert.throws(() => jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri, algorithms: ['HS256'] }), /not allowed/);
  });

  it('refuses a token with an unknown critical header', async () => {
    const key = issuer.keys[0]!;
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ scope: 'read:whoami', 'urn:x': 1 })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', crit: ['urn:x'], 'urn:x': 1 } as never)
      .setIssuer(issuer.url)
      .setSubject('u')
      .setAudience(RESOURCE)
      .setExpirationTime(now + 300)
      .sign(key.privateKey, { crit: { 'urn:x': true } });
    await rejects(verifier().verify(token), /.+/);
  });

  it('refuses ID tokens from the same issuer and key', async () => {
    const idToken = await issuer.token(RESOURCE, { typ: 'JWT', claims: { nonce: 'n-0S6_WzA2Mj', at_hash: 'x' } });
    await rejects(verifier().verify(idToken), /ID tokens/);
    await rejects(verifier().verify(await issuer.token(RESOURCE, { typ: 'id_token+jwt' })), /not access tokens/);
  });

  it('accepts plain typ JWT access tokens unless at+jwt is required', async () => {
    const token = await issuer.token(RESOURCE, { typ: 'JWT' });
    assert.equal((await verifier().verify(token)).subject, 'user-1');
    await rejects(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri, requireAccessTokenType: true }).verify(token), /at\+jwt/);
  });

  it('does not let a storm of unknown kids hammer the JWKS endpoint', async () => {
    const v = jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri, jwksCooldownSeconds: 30 });
    await v.verify(await issuer.token(RESOURCE)); // warm the key set
    const before = issuer.jwksFetches;
    const storm = await Promise.all(Array.from({ length: 1000 }, async () => issuer.token(RESOURCE, { kid: randomUUID() })));
    const results = await Promise.allSettled(storm.map((t) => v.verify(t)));
    assert.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof InvalidTokenError));
    assert.ok(issuer.jwksFetches - before <= 1, `JWKS fetched ${issuer.jwksFetches - before} times`);
    assert.equal((await v.verify(await issuer.token(RESOURCE))).subject, 'user-1', 'still serves valid tokens');
  });

  it('picks up a key rotated in at the issuer, and keeps accepting the previous key', async () => {
    const rotating = await TestIssuer.start('ES256');
    try {
      const v = jwt({ issuer: rotating.url, jwksUri: rotating.jwksUri, jwksCooldownSeconds: 0.05 });
      const oldToken = await rotating.token(RESOURCE);
      await v.verify(oldToken);
      await rotating.rotate();
      await new Promise((r) => setTimeout(r, 100));
      const newToken = await rotating.token(RESOURCE);
      assert.equal((await v.verify(newToken)).subject, 'user-1');
      assert.equal((await v.verify(oldToken)).subject, 'user-1');
      assert.equal(rotating.jwksFetches, 2);
    } finally {
      await rotating.close();
    }
  });

  it('reports an unreachable JWKS as unavailable, not as an invalid token', async () => {
    const down = await TestIssuer.start();
    const token = await down.token(RESOURCE);
    const v = jwt({ issuer: down.url, jwksUri: down.jwksUri });
    await down.close();
    await assert.rejects(v.verify(token), VerifierUnavailableError);
  });

  it('verifies with a static public key and with an HS256 secret', async () => {
    const key = await makeKey('ES256');
    const staticIssuer = { url: 'https://static.example' };
    const now = Math.floor(Date.now() / 1000);
    const signed = await new SignJWT({ scope: 'read:whoami' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
      .setIssuer(staticIssuer.url)
      .setSubject('s')
      .setAudience(RESOURCE)
      .setExpirationTime(now + 60)
      .sign(key.privateKey);
    assert.equal((await jwt({ issuer: staticIssuer.url, publicKey: key.publicJwk }).verify(signed)).subject, 's');
    const pem = createPublicKey({ key: key.publicJwk as never, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    assert.equal((await jwt({ issuer: staticIssuer.url, publicKey: pem }).verify(signed)).subject, 's');

    const secret = 'a-shared-secret-that-is-long-enough!!';
    const hs = await new SignJWT({ scope: 'read:whoami' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(staticIssuer.url)
      .setSubject('h')
      .setAudience(RESOURCE)
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode(secret));
    assert.equal((await jwt({ issuer: staticIssuer.url, secret }).verify(hs)).subject, 'h');
    await rejects(jwt({ issuer: staticIssuer.url, secret: `${secret}-other` }).verify(hs), /signature/);
    assert.throws(() => jwt({ issuer: staticIssuer.url, secret: 'short' }), /32 bytes/);
    assert.throws(() => jwt({ issuer: staticIssuer.url }), /exactly one/);
  });

  it('never accepts a mutated token, and always refuses it as invalid (property)', async () => {
    const v = verifier();
    const token = await issuer.token(RESOURCE);
    await v.verify(token);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.='.split('');
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: token.length - 1 }), fc.constantFrom(...alphabet), async (position, replacement) => {
        if (token[position] === replacement) return;
        const mutated = token.slice(0, position) + replacement + token.slice(position + 1);
        try {
          const verified = await v.verify(mutated);
          // A few base64url tail bits carry no information: a mutation there decodes to the very same token.
          const decoded = (t: string) =>
            t
              .split('.')
              .map((part) => Buffer.from(base64url.decode(part)).toString('hex'))
              .join('.');
          assert.equal(decoded(mutated), decoded(token));
          assert.equal(verified.subject, 'user-1');
        } catch (error) {
          assert.ok(error instanceof InvalidTokenError, String(error));
        }
      }),
      { numRuns: 300 },
    );
  });

  describe('the verified-token cache', () => {
    it('serves a token verified once from the cache, never a different token', async () => {
      const cached = jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri, clockToleranceSeconds: 0 });
      const ada = await issuer.token(RESOURCE, { sub: 'ada' });
      const bob = await issuer.token(RESOURCE, { sub: 'bob' });
      const first = await cached.verify(ada);
      assert.equal(await cached.verify(ada), first, 'the same result object: no second verification');
      assert.equal((await cached.verify(bob)).subject, 'bob');
      await rejects(cached.verify(`${ada.slice(0, -2)}xx`), /signature|format/);
    });

    it('stops serving a token once it expires', async () => {
      const cached = jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri, clockToleranceSeconds: 0 });
      const token = await issuer.token(RESOURCE, { sub: 'ada', expiresIn: 2 });
      assert.equal((await cached.verify(token)).subject, 'ada');
      await new Promise((resolve) => setTimeout(resolve, 2100));
      await rejects(cached.verify(token), /expired/);
    });
  });
});
