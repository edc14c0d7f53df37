import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { JWK, JWTPayload } from 'jose';
import { authorizationUrl, Browser, obtainTokens, type AuthorizeOptions } from '../helpers/authorize.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { initializeBody, postMcp } from '../helpers/server.js';
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
  nowSeconds,
  ServerKeys,
  startEmbeddedAt,
  tokenTransportTests,
  TWO_SCOPE_TOOL,
  unsignedToken,
  whoamiSubject,
  type ModeContext,
  type PathServer,
} from './support.js';

const APP_REDIRECT = 'https://app.test/cb';
const ADA = 'ada@example.com';
const BOB = 'bob@example.com';

/** One person, one pre-registered web client: what `obtainTokens` needs for a whole authorization code flow. */
async function personAndClient(server: Pick<EmbeddedTestServer, 'accounts' | 'clients' | 'urls'>, email: string): Promise<Omit<AuthorizeOptions, 'scope'>> {
  await server.accounts.create(email, PASSWORD);
  const client = await server.clients.add({ name: `Checklist app for ${email}`, redirectUris: [APP_REDIRECT] });
  return { server, clientId: client.client_id, redirectUri: APP_REDIRECT, email, password: PASSWORD };
}

/**
 * Security checklist §2.2 (R1–R4, R6–R8, R11, R12) against embedded mode, with tokens from the real flow.
 * Forged tokens come in two kinds: an outsider's (no key: alg none, HS256 keyed with the public key, another
 * server's tokens), and "one claim changed", re-signed with the server's own key from its key file next to a
 * control re-signed unchanged, so a refusal can only be about the claim that changed.
 */
describe('checklist: embedded mode', () => {
  let server: EmbeddedTestServer;
  let keys: ServerKeys;
  let ada: Omit<AuthorizeOptions, 'scope'>;
  let adaToken = '';
  let bobToken = '';
  /** Ada's real access token's claims: the starting point of every re-signed token. */
  let base: JWTPayload;
  const resign = (change: Partial<JWTPayload> = {}, options: Parameters<ServerKeys['sign']>[1] = {}) => keys.sign({ ...base, ...change }, options);
  const mode = (): ModeContext => ({
    urls: server.urls,
    port: server.port,
    token: adaToken,
    authorizationServers: [server.urls.issuer],
    extraPaths: ['/.well-known/oauth-authorization-server', '/auth', '/jwks'],
  });

  before(async () => {
    server = await startEmbedded({ setup: addTwoScopeTool });
    ada = await personAndClient(server, ADA);
    adaToken = (await obtainTokens({ ...ada, scope: 'read:whoami' })).accessToken;
    bobToken = (await obtainTokens({ ...(await personAndClient(server, BOB)), scope: 'read:whoami' })).accessToken;
    keys = ServerKeys.load(server.dataDir);
    base = claimsOf(adaToken);
  });
  after(() => server?.close());

  it('control: the real token, and the same claims re-signed with the server key, are accepted', async () => {
    assert.equal(await whoamiSubject(server.urls.resource, adaToken), base.sub);
    assert.equal(await whoamiSubject(server.urls.resource, await resign()), base.sub);
  });

  describe('R1 audience', () => {
    it('R1 audience: a token minted by another embedded server → 401 invalid_token', async () => {
      // The attacker runs (or has an account on) another Gatehouse and brings its token here.
      const other = await startEmbedded();
      try {
        const theirs = (await obtainTokens({ ...(await personAndClient(other, ADA)), scope: 'read:whoami' })).accessToken;
        assert.equal(await whoamiSubject(other.urls.resource, theirs), claimsOf(theirs).sub, 'control: valid where it was minted');
        assertInvalidToken(await callTool(server.urls.resource, theirs));
      } finally {
        await other.close();
      }
    });

    it('R1 audience: our own key and grant, but aud another resource → 401 invalid_token', async () => {
      for (const aud of [`${server.urls.origin}/other`, 'https://other.example/mcp', `${server.urls.resource}x`]) {
        const answer = await callTool(server.urls.resource, await resign({ aud }));
        assertInvalidToken(answer, aud);
        assert.match(challenge(answer.headers)['error_description'] ?? '', /not issued for this resource/);
      }
    });
  });

  describe('R2 JWT claims', () => {
    it('R2 JWT claims: wrong iss, past exp, future nbf, missing exp → 401 invalid_token', async () => {
      // Each token keeps Ada's real grant and the server's own signature; only the named claim is off.
      const { exp: _exp, ...withoutExp } = base;
      const cases: Record<string, string> = {
        'wrong iss': await resign({ iss: 'http://localhost:1' }),
        'past exp': await resign({ exp: nowSeconds() - 3600 }),
        'future nbf': await resign({ nbf: nowSeconds() + 3600 }),
        'missing exp': await keys.sign(withoutExp),
      };
      for (const [label, token] of Object.entries(cases)) assertInvalidToken(await callTool(server.urls.resource, token), label);
    });

    it('R2 JWT claims: the embedded verifier tolerates 5 s of skew, not 30 (exp/nbf 2 s off ok, 30 s off refused)', async () => {
      assert.equal(await whoamiSubject(server.urls.resource, await resign({ exp: nowSeconds() - 2 })), base.sub);
      assertInvalidToken(await callTool(server.urls.resource, await resign({ exp: nowSeconds() - 30 })), 'expired 30 s ago');
      assert.equal(await whoamiSubject(server.urls.resource, await resign({ nbf: nowSeconds() + 2 })), base.sub);
      assertInvalidToken(await callTool(server.urls.resource, await resign({ nbf: nowSeconds() + 30 })), 'valid from 30 s ahead');
    });
  });

  describe('R3 algorithm confusion', () => {
    it('R3 algorithm confusion: alg none → 401', async () => {
      assertInvalidToken(await callTool(server.urls.resource, unsignedToken(base)));
    });

    it("R3 algorithm confusion: HS256 keyed with the server's public key bytes from /jwks → 401", async () => {
      const jwks = (await (await fetch(`${server.urls.issuer}/jwks`)).json()) as { keys: JWK[] };
      for (const jwk of jwks.keys) {
        for (const forged of await hs256WithPublicKey(base, jwk))
          assertInvalidToken(await callTool(server.urls.resource, forged), `HS256 with the ${jwk.alg} key`);
      }
    });

    it("R3 algorithm confusion: an alg outside the allowlist (RS256, with the server's own published RSA key) → 401", async () => {
      assertInvalidToken(await callTool(server.urls.resource, await resign({}, { alg: 'RS256' })));
    });

    it('R3 algorithm confusion: an unknown crit header → 401', async () => {
      const critical = await resign({}, { crit: ['urn:example:must-understand'], header: { 'urn:example:must-understand': true } });
      assertInvalidToken(await callTool(server.urls.resource, critical));
    });
  });

  describe('R4 token type', () => {
    it('R4 token type: an ID token from this server (same issuer, same ES256 key) → 401', async () => {
      // The client asks for openid, so the token response carries an ID token signed like the access token.
      const tokens = await obtainTokens({ ...ada, scope: 'openid read:whoami' });
      const idToken = String(tokens.response.body['id_token']);
      assert.equal(claimsOf(idToken).iss, server.urls.issuer);
      assert.equal(JSON.parse(Buffer.from(idToken.split('.')[0]!, 'base64url').toString())['alg'], 'ES256');
      assertInvalidToken(await callTool(server.urls.resource, idToken), 'ID token');
      assert.equal(await whoamiSubject(server.urls.resource, tokens.accessToken), base.sub, 'control: the access token from the same response');
    });

    it('R4 token type: the access token claims with typ JWT instead of at+jwt → 401', async () => {
      assertInvalidToken(await callTool(server.urls.resource, await resign({}, { typ: 'JWT' })));
    });
  });

  describe('R6 scope step-up', () => {
    it('R6 scope step-up: a token short of a tool scope → 403 insufficient_scope naming every scope the tool needs', async () => {
      const answer = await callTool(server.urls.resource, adaToken, 'copy_file');
      assertInsufficientScope(answer, TWO_SCOPE_TOOL);
      // The client steps up: a new authorization for the scopes the challenge named.
      const stepped = await obtainTokens({ ...ada, scope: ['read:whoami', ...TWO_SCOPE_TOOL].join(' ') });
      assert.equal((await callTool(server.urls.resource, stepped.accessToken, 'copy_file')).status, 200);
    });
  });

  describe('R7 discovery', () => discoveryTests(mode));
  describe('R8 token transport', () => tokenTransportTests(mode));

  describe('R11 session binding', () => {
    it('R11 session binding: no session id is issued; Bob with "Ada\'s" session id is answered as Bob; a session id alone → 401', async () => {
      const init = await postMcp(server.urls.resource, adaToken, initializeBody());
      await init.body?.cancel();
      assert.equal(init.status, 200);
      assert.equal(init.headers.get('mcp-session-id'), null, 'stateless: no Mcp-Session-Id to hijack');
      const adasSession = randomUUID();
      assert.equal(await whoamiSubject(server.urls.resource, bobToken, { 'mcp-session-id': adasSession }), claimsOf(bobToken).sub);
      assert.equal((await callTool(server.urls.resource, undefined, 'whoami', { 'mcp-session-id': adasSession })).status, 401);
    });

    it('R11 session binding: 50 concurrent whoami calls from two people sharing one session id → 0 mismatches', async () => {
      const shared = randomUUID();
      const calls = Array.from({ length: 50 }, (_, i) => (i % 2 ? { token: adaToken, sub: base.sub } : { token: bobToken, sub: claimsOf(bobToken).sub }));
      const seen = await Promise.all(
        calls.map(async ({ token, sub }) => ({ sub, got: await whoamiSubject(server.urls.resource, token, { 'mcp-session-id': shared }) })),
      );
      assert.deepEqual(
        seen.filter((s) => s.got !== s.sub),
        [],
      );
    });
  });

  describe('R12 DNS rebinding', () => dnsRebindingTests(mode));
});

/**
 * P6 (FastMCP PR #2763/#2764): the `resource` parameter is checked and the token's `aud` is bound to the MCP
 * endpoint path. Two embedded servers share one data directory (keys, accounts, grants) and one public origin,
 * and differ only in their MCP path: `/mcp-a` and `/mcp-b`, as two MCP servers behind one reverse proxy would.
 */
describe('checklist: P6 resource and audience on the embedded authorization server', () => {
  let a: PathServer;
  let b: PathServer;
  let flow: Omit<AuthorizeOptions, 'scope'>;

  before(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-p6-'));
    a = await startEmbeddedAt({ dataDir, mcpPath: '/mcp-a' });
    b = await startEmbeddedAt({ dataDir, mcpPath: '/mcp-b', publicUrl: a.urls.origin });
    flow = await personAndClient(a, ADA);
  });
  after(async () => {
    await b?.close();
    await a?.close();
  });

  it('P6 the two servers share an issuer and differ only in the MCP path', () => {
    assert.equal(b.urls.issuer, a.urls.issuer);
    assert.equal(a.urls.resource, `${a.urls.origin}/mcp-a`);
    assert.equal(b.urls.resource, `${a.urls.origin}/mcp-b`);
  });

  it('P6 authorize with resource=http://localhost:X/other (or the sibling /mcp-b) → an error, no code', async () => {
    for (const resource of [`${a.urls.origin}/other`, b.urls.resource]) {
      const step = await new Browser(a).navigate(authorizationUrl({ ...flow, resource }).url);
      assert.equal(step.kind, 'redirect', `${resource}: the error goes back to the client`);
      const params = step.kind === 'redirect' ? step.location.searchParams : new URLSearchParams();
      assert.equal(params.get('error'), 'invalid_target', resource);
      assert.equal(params.get('code'), null);
    }
  });

  it("P6 the token's aud is exactly the MCP URL, and it works there", async () => {
    const { accessToken } = await obtainTokens({ ...flow, scope: 'read:whoami', resource: a.urls.resource });
    assert.equal(claimsOf(accessToken).aud, a.urls.resource);
    assert.equal(await whoamiSubject(a.urls.resource, accessToken), claimsOf(accessToken).sub);
  });

  it('P6 a token minted for /mcp-a is rejected at /mcp-b on the same host (same issuer, key and grant)', async () => {
    const { accessToken } = await obtainTokens({ ...flow, scope: 'read:whoami' });
    const atB = `http://localhost:${b.port}${b.urls.mcpPath}`;
    const answer = await callTool(atB, accessToken);
    assertInvalidToken(answer, '/mcp-a token at /mcp-b');
    assert.match(challenge(answer.headers)['error_description'] ?? '', /not issued for this resource/);
    // Control: the same claims for /mcp-b, signed with the shared key, pass there; only the audience differed.
    const forB = await ServerKeys.load(a.dataDir).sign({ ...claimsOf(accessToken), aud: b.urls.resource });
    assert.equal(await whoamiSubject(atB, forB), claimsOf(accessToken).sub);
  });
});
