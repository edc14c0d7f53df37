import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { jwt } from '../../src/index.js';
import { makeKey, TestIssuer } from '../helpers/issuer.js';
import { initializeBody, postMcp, startServer, type TestServer } from '../helpers/server.js';
import {
  addTwoScopeTool,
  assertInsufficientScope,
  assertInvalidToken,
  callTool,
  challenge,
  claimsOf,
  discoveryTests,
  dnsRebindingTests,
  hs256WithPublicKey,
  tokenTransportTests,
  TWO_SCOPE_TOOL,
  unsignedToken,
  whoamiSubject,
  type ModeContext,
} from './support.js';

/**
 * Security checklist §2.2 (R1–R8, R10–R12) against resource mode with the JWT verifier: a local issuer
 * (TestIssuer) publishes its JWKS over HTTP and mints tokens; the attacker mints their own, or bends real ones.
 */
describe('checklist: resource mode, JWT verifier', () => {
  let issuer: TestIssuer;
  let server: TestServer;
  let resource: string;
  /** A valid token for this server, with read:whoami. */
  const good = (options: Parameters<TestIssuer['token']>[1] = {}) => issuer.token(resource, options);
  /** The server and a valid token, for the tests every mode shares (R7, R8, R12). */
  let current = '';
  const mode = (): ModeContext => ({ urls: server.urls, port: server.port, token: current, authorizationServers: [issuer.url] });

  before(async () => {
    issuer = await TestIssuer.start();
    server = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), { issuer: issuer.url, setup: addTwoScopeTool });
    resource = server.urls.resource;
    current = await good({ sub: 'mode-user' });
  });
  after(async () => {
    await server?.close();
    await issuer?.close();
  });

  it('control: a valid token for this resource is accepted', async () => {
    assert.equal(await whoamiSubject(resource, await good({ sub: 'alice' })), 'alice');
  });

  describe('R1 audience', () => {
    it('R1 audience: a valid token from our issuer for another resource → 401 invalid_token', async () => {
      // The attacker replays a token the same issuer minted for a different MCP server (or a near-miss URL).
      const others = [`${server.urls.origin}/other`, 'https://other.example/mcp', `${resource}x`, ['https://other.example/mcp', 'https://another.example']];
      for (const aud of others) {
        const answer = await callTool(resource, await good({ aud }));
        assertInvalidToken(answer, JSON.stringify(aud));
        assert.match(challenge(answer.headers)['error_description'] ?? '', /not issued for this resource/);
      }
    });

    it('R1 audience: a token naming no audience at all → 401 invalid_token', async () => {
      const key = issuer.keys[0]!;
      const token = await new SignJWT({ scope: 'read:whoami' })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
        .setIssuer(issuer.url)
        .setSubject('alice')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key.privateKey);
      assertInvalidToken(await callTool(resource, token));
    });
  });

  describe('R2 JWT claims', () => {
    it('R2 JWT claims: wrong iss, past exp, future nbf, missing exp → 401 invalid_token', async () => {
      // Old tokens from a leak, tokens minted ahead of time, tokens that never expire, tokens naming another issuer.
      const cases: Record<string, string> = {
        'wrong iss': await good({ iss: 'https://evil.example' }),
        'past exp': await good({ expiresIn: -3600 }),
        'future nbf': await good({ notBefore: 3600 }),
        'missing exp': await good({ omitExp: true }),
      };
      for (const [label, token] of Object.entries(cases)) assertInvalidToken(await callTool(resource, token), label);
    });

    it('R2 JWT claims: the default 30 s skew tolerance holds on both sides (exp 15 s ago ok, 45 s ago refused; nbf likewise)', async () => {
      assert.equal(await whoamiSubject(resource, await good({ expiresIn: -15 })), 'user-1');
      assertInvalidToken(await callTool(resource, await good({ expiresIn: -45 })), 'expired 45 s ago');
      assert.equal(await whoamiSubject(resource, await good({ notBefore: 15 })), 'user-1');
      assertInvalidToken(await callTool(resource, await good({ notBefore: 45 })), 'valid from 45 s ahead');
    });

    it('R2 JWT claims: skew is capped at 60 s (the maximum tolerance accepts 50 s, refuses 75 s; more cannot be configured)', async () => {
      const lenient = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri, clockToleranceSeconds: 60 }), { issuer: issuer.url });
      try {
        const token = (expiresIn: number) => issuer.token(lenient.urls.resource, { expiresIn });
        assert.equal(await whoamiSubject(lenient.urls.resource, await token(-50)), 'user-1');
        assertInvalidToken(await callTool(lenient.urls.resource, await token(-75)), 'expired 75 s ago');
      } finally {
        await lenient.close();
      }
      assert.throws(() => jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri, clockToleranceSeconds: 61 }), /clockToleranceSeconds/);
    });
  });

  describe('R3 algorithm confusion', () => {
    it('R3 algorithm confusion: alg none → 401', async () => {
      // The attacker strips the signature and declares that none is needed.
      const claims = claimsOf(await good());
      assertInvalidToken(await callTool(resource, unsignedToken(claims)));
      // Some libraries only look for the lower-case spelling.
      assertInvalidToken(await callTool(resource, unsignedToken(claims).replace(/^[^.]+/, Buffer.from('{"alg":"None"}').toString('base64url'))));
    });

    it('R3 algorithm confusion: HS256 keyed with the RSA public key bytes from the JWKS → 401', async () => {
      // The attacker downloads the public key and uses it as an HMAC secret, hoping the verifier does the same.
      const claims = claimsOf(await good({ sub: 'mallory' }));
      const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: Parameters<typeof hs256WithPublicKey>[1][] };
      for (const forged of await hs256WithPublicKey(claims, jwks.keys[0]!)) assertInvalidToken(await callTool(resource, forged), 'HS256 forgery');
    });

    it('R3 algorithm confusion: an alg outside the allowlist → 401 (HS256 by default; RS256 when only ES256 is allowed)', async () => {
      const claims = claimsOf(await good());
      const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(randomBytes(32));
      assertInvalidToken(await callTool(resource, hs), 'HS256 with a made-up secret');

      // An issuer publishing an RS256 and an ES256 key, and a server that allows only ES256.
      const both = await TestIssuer.start();
      const es = await makeKey('ES256');
      both.keys.push(es);
      const strict = await startServer(jwt({ issuer: both.url, jwksUri: both.jwksUri, algorithms: ['ES256'] }), { issuer: both.url });
      try {
        assert.equal(await whoamiSubject(strict.urls.resource, await both.token(strict.urls.resource, {}, es)), 'user-1', 'control: ES256 accepted');
        assertInvalidToken(await callTool(strict.urls.resource, await both.token(strict.urls.resource)), 'RS256 with a published key');
      } finally {
        await strict.close();
        await both.close();
      }
    });

    it('R3 algorithm confusion: an unknown crit header → 401', async () => {
      // The attacker marks an extension header critical: a verifier that skips what it does not understand would pass it.
      const key = issuer.keys[0]!;
      const claims = claimsOf(await good());
      const signed = (header: Record<string, unknown>) =>
        new SignJWT(claims)
          .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })
          .sign(key.privateKey, { crit: { 'urn:example:must-understand': true } });
      assert.equal(await whoamiSubject(resource, await signed({})), 'user-1', 'control: the same token without crit');
      const critical = await signed({ crit: ['urn:example:must-understand'], 'urn:example:must-understand': true });
      assertInvalidToken(await callTool(resource, critical));
    });
  });

  describe('R4 token type', () => {
    it('R4 token type: an ID token from the same issuer and key → 401', async () => {
      // The attacker is a client: it holds an ID token (meant for itself) and presents it as an access token.
      const idTokens = [
        await good({ typ: 'JWT', aud: 'test-client', claims: { nonce: 'n-0S6_WzA2Mj', at_hash: 'x' } }),
        await good({ typ: 'JWT', claims: { nonce: 'n-0S6_WzA2Mj' } }), // even when its aud names this resource
        await good({ typ: 'id_token+jwt' }),
      ];
      for (const token of idTokens) assertInvalidToken(await callTool(resource, token), 'ID token');
    });

    it('R4 token type: with requireAccessTokenType only typ at+jwt passes', async () => {
      const strict = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri, requireAccessTokenType: true }), { issuer: issuer.url });
      try {
        assert.equal(await whoamiSubject(strict.urls.resource, await issuer.token(strict.urls.resource)), 'user-1', 'control: at+jwt');
        assertInvalidToken(await callTool(strict.urls.resource, await issuer.token(strict.urls.resource, { typ: 'JWT' })), 'typ JWT');
      } finally {
        await strict.close();
      }
    });
  });

  describe('R5 JWKS DoS', () => {
    it('R5 JWKS DoS: 1000 tokens with random kids cause at most one JWKS refetch per cooldown, and the server keeps answering', async () => {
      const dos = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), { issuer: issuer.url });
      try {
        assert.equal(await whoamiSubject(dos.urls.resource, await issuer.token(dos.urls.resource)), 'user-1'); // warms the key set
        const fetchesBefore = issuer.jwksFetches;
        // The attacker sends well-formed tokens with made-up key ids (and junk signatures: they have no key),
        // hoping each unknown kid sends the server back to the JWKS endpoint.
        const claims = claimsOf(await issuer.token(dos.urls.resource));
        const tokens = Array.from({ length: 1000 }, () => {
          const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: randomUUID(), typ: 'at+jwt' })).toString('base64url');
          return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${randomBytes(256).toString('base64url')}`;
        });
        const statuses: number[] = [];
        for (let i = 0; i < tokens.length; i += 200) {
          const batch = await Promise.all(tokens.slice(i, i + 200).map(async (t) => (await postMcp(dos.urls.resource, t)).status));
          statuses.push(...batch);
        }
        assert.deepEqual([...new Set(statuses)], [401], 'every forged token gets 401 (not 5xx)');
        assert.ok(issuer.jwksFetches - fetchesBefore <= 1, `JWKS fetched ${issuer.jwksFetches - fetchesBefore} times during the storm`);
        assert.equal(await whoamiSubject(dos.urls.resource, await issuer.token(dos.urls.resource, { sub: 'after-storm' })), 'after-storm');
      } finally {
        await dos.close();
      }
    });
  });

  describe('R6 scope step-up', () => {
    it('R6 scope step-up: a token short of a tool scope → 403 insufficient_scope naming every scope the tool needs', async () => {
      // A client granted files:read tries a tool that also writes.
      const answer = await callTool(resource, await good({ scope: 'files:read' }), 'copy_file');
      assertInsufficientScope(answer, TWO_SCOPE_TOOL);
      assert.equal(challenge(answer.headers)['resource_metadata'], server.urls.resourceMetadata);
      const allowed = await callTool(resource, await good({ scope: 'files:read files:write' }), 'copy_file');
      assert.equal(allowed.status, 200, 'control: with both scopes the call goes through');
    });

    it('R6 scope step-up: a token short of an endpoint-wide required scope → 403 naming it', async () => {
      const gated = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), { issuer: issuer.url, requiredScopes: ['mcp:use'] });
      try {
        const answer = await callTool(gated.urls.resource, await issuer.token(gated.urls.resource, { scope: 'read:whoami' }));
        assertInsufficientScope(answer, ['mcp:use']);
      } finally {
        await gated.close();
      }
    });
  });

  describe('R7 discovery', () => discoveryTests(mode));
  describe('R8 token transport', () => {
    tokenTransportTests(mode);
    it('R8 token transport: a token sent in the query is never written to the log', () => {
      assert.ok(!server.logs.some((line) => line.includes(current)));
    });
  });

  describe('R10 no passthrough', () => {
    it('R10 no passthrough: a token from another issuer (even naming this resource) → 401', async () => {
      // The attacker holds a perfectly valid token from some other authorization server, for this very URL.
      const upstream = await TestIssuer.start();
      try {
        assertInvalidToken(await callTool(resource, await upstream.token(resource)), 'foreign issuer');
        assertInvalidToken(await callTool(resource, await upstream.token(resource, { iss: issuer.url })), 'foreign key, our iss');
      } finally {
        await upstream.close();
      }
      assertInvalidToken(await callTool(resource, `gho_${randomBytes(18).toString('hex')}`), 'an opaque upstream token');
    });
  });

  describe('R11 session binding', () => {
    it('R11 session binding: the transport issues no session id; a session id is never used for auth', async () => {
      const alice = await good({ sub: 'alice' });
      const init = await postMcp(resource, alice, initializeBody());
      await init.body?.cancel();
      assert.equal(init.status, 200);
      const issued = init.headers.get('mcp-session-id');
      assert.equal(issued, null, 'stateless: no Mcp-Session-Id to hijack');
      // Bob presents his own token with the session id he claims is Alice's: he is answered as Bob.
      const aliceSession = randomUUID();
      assert.equal(await whoamiSubject(resource, await good({ sub: 'bob' }), { 'mcp-session-id': aliceSession }), 'bob');
      // A session id is no credential: without a token (or with a bad one) it is 401.
      assert.equal((await callTool(resource, undefined, 'whoami', { 'mcp-session-id': aliceSession })).status, 401);
      assertInvalidToken(await callTool(resource, 'forged', 'whoami', { 'mcp-session-id': aliceSession }));
    });

    it('R11 session binding: 50 concurrent whoami calls with distinct tokens (and one shared session id) → 0 mismatches', async () => {
      const shared = randomUUID();
      const callers = await Promise.all(Array.from({ length: 50 }, async (_, i) => ({ sub: `user-${i}`, token: await good({ sub: `user-${i}` }) })));
      const seen = await Promise.all(callers.map(async ({ sub, token }) => ({ sub, got: await whoamiSubject(resource, token, { 'mcp-session-id': shared }) })));
      assert.deepEqual(
        seen.filter((s) => s.got !== s.sub),
        [],
      );
    });
  });

  describe('R12 DNS rebinding', () => dnsRebindingTests(mode));
});
