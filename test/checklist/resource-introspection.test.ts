import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { introspection, type IntrospectionVerifierOptions } from '../../src/index.js';
import { TestIntrospectionServer, type TokenRecord } from '../helpers/introspection-server.js';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  addTwoScopeTool,
  assertInsufficientScope,
  assertInvalidToken,
  callTool,
  discoveryTests,
  dnsRebindingTests,
  nowSeconds,
  sleep,
  tokenTransportTests,
  TWO_SCOPE_TOOL,
  whoamiSubject,
  type ModeContext,
} from './support.js';

/**
 * Security checklist §2.2 (R1, R6–R10, R12) against resource mode with RFC 7662 introspection: the tokens are
 * opaque strings, and a local introspection endpoint (which tests revoke from) says what each one is worth.
 */
describe('checklist: resource mode, introspection verifier', () => {
  let as: TestIntrospectionServer;
  let server: TestServer;
  let resource: string;
  /** What the introspection endpoint saw of the resource server's credentials, per call. */
  let presented: string[] = [];

  const opaque = () => `tok-${randomBytes(12).toString('hex')}`;
  /** Put an active token in the authorization server's table. */
  const issue = (record: Partial<TokenRecord> = {}, token = opaque()): string => {
    as.tokens.set(token, { sub: 'alice', aud: resource, scope: 'read:whoami', exp: nowSeconds() + 300, ...record });
    return token;
  };
  const start = (options: Partial<IntrospectionVerifierOptions> = {}) =>
    startServer(introspection({ url: as.endpoint, clientId: as.clientId, clientSecret: as.clientSecret, issuer: as.url, ...options }), {
      issuer: as.url,
      setup: addTwoScopeTool,
    });

  let current = '';
  const mode = (): ModeContext => ({ urls: server.urls, port: server.port, token: current, authorizationServers: [as.url] });

  before(async () => {
    as = await TestIntrospectionServer.start();
    // Record how the resource server authenticates to /introspect, then let the endpoint check it as usual.
    const check = as.authenticated.bind(as);
    as.authenticated = (req: IncomingMessage, body: URLSearchParams) => {
      const basic = req.headers.authorization?.startsWith('Basic ') ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString() : undefined;
      presented.push(basic ? `basic ${basic}` : `post ${body.get('client_id')}:${body.get('client_secret')}`);
      return check(req, body);
    };
    server = await start();
    resource = server.urls.resource;
  });
  after(async () => {
    await server?.close();
    await as?.close();
  });
  beforeEach(() => {
    current = issue({ sub: 'mode-user' });
    presented = [];
  });

  it('control: an active token for this resource is accepted', async () => {
    assert.equal(await whoamiSubject(resource, issue({ sub: 'alice' })), 'alice');
  });

  describe('R1 audience', () => {
    it('R1 audience: an active token for another resource → 401 invalid_token', async () => {
      // The authorization server vouches for the token, but for a different MCP server.
      for (const aud of [`${server.urls.origin}/other`, 'https://other.example/mcp', ['https://other.example/mcp']]) {
        assertInvalidToken(await callTool(resource, issue({ aud })), JSON.stringify(aud));
      }
    });

    it('R1 audience: an active token naming no audience → 401 invalid_token', async () => {
      assertInvalidToken(await callTool(resource, issue({ aud: undefined })));
    });
  });

  describe('R6 scope step-up', () => {
    it('R6 scope step-up: a token short of a tool scope → 403 insufficient_scope naming every scope the tool needs', async () => {
      assertInsufficientScope(await callTool(resource, issue({ scope: 'files:read' }), 'copy_file'), TWO_SCOPE_TOOL);
      assert.equal((await callTool(resource, issue({ scope: 'files:read files:write' }), 'copy_file')).status, 200, 'control');
    });
  });

  describe('R7 discovery', () => discoveryTests(mode));

  describe('R8 token transport', () => {
    tokenTransportTests(mode);
    it('R8 token transport: a token in the query is refused before it is ever sent to the introspection endpoint', async () => {
      const calls = as.calls;
      await callTool(`${resource}?access_token=${current}`, undefined);
      await callTool(`${resource}?access_token=${current}`, current);
      assert.equal(as.calls, calls);
    });
  });

  describe('R9 introspection mode', () => {
    it('R9 introspection mode: active:false → 401 invalid_token', async () => {
      assertInvalidToken(await callTool(resource, opaque()), 'unknown token');
      assertInvalidToken(await callTool(resource, issue({ exp: nowSeconds() - 10 })), 'expired at the authorization server');
    });

    it('R9 introspection mode: the cache never outlives the token (exp 2 s away, cache period 1 h)', async () => {
      const longCache = await start({ cacheMaxSeconds: 3600 });
      try {
        const exp = nowSeconds() + 2;
        const token = issue({ sub: 'short-lived', aud: longCache.urls.resource, exp });
        assert.equal(await whoamiSubject(longCache.urls.resource, token), 'short-lived');
        const calls = as.calls;
        assert.equal(await whoamiSubject(longCache.urls.resource, token), 'short-lived');
        assert.equal(as.calls, calls, 'the second use is answered from the cache');
        await sleep(exp * 1000 - Date.now() + 250);
        assertInvalidToken(await callTool(longCache.urls.resource, token), 'after exp');
        assert.ok(as.calls > calls, 'the resource server asked again once exp had passed');
      } finally {
        await longCache.close();
      }
    });

    it('R9 introspection mode: a revoked token stops working within the configured cache period (1 s)', async () => {
      const shortCache = await start({ cacheMaxSeconds: 1 });
      try {
        const token = issue({ sub: 'revoked-soon', aud: shortCache.urls.resource });
        assert.equal(await whoamiSubject(shortCache.urls.resource, token), 'revoked-soon');
        const revokedAt = Date.now();
        as.tokens.delete(token); // revoked at the authorization server
        await sleep(1000 - (Date.now() - revokedAt) + 150);
        assertInvalidToken(await callTool(shortCache.urls.resource, token), 'a second after revocation');
      } finally {
        await shortCache.close();
      }
    });

    it('R9 introspection mode: the resource server authenticates to /introspect (basic and post)', async () => {
      await whoamiSubject(resource, issue());
      assert.deepEqual(presented, [`basic ${encodeURIComponent(as.clientId)}:${encodeURIComponent(as.clientSecret).replace(/%20/g, '+')}`]);
      const post = await start({ authMethod: 'client_secret_post' });
      try {
        presented = [];
        await whoamiSubject(post.urls.resource, issue({ aud: post.urls.resource }));
        assert.deepEqual(presented, [`post ${as.clientId}:${as.clientSecret}`]);
      } finally {
        await post.close();
      }
      // With credentials the endpoint refuses, no token is accepted (503: the verifier is misconfigured, not the token bad).
      const wrong = await start({ clientSecret: 'not the secret' });
      try {
        const answer = await callTool(wrong.urls.resource, issue({ aud: wrong.urls.resource }));
        assert.equal(answer.status, 503);
        assert.equal(answer.result, undefined);
      } finally {
        await wrong.close();
      }
    });
  });

  describe('R10 no passthrough', () => {
    it('R10 no passthrough: an upstream token (gho_…) or one the endpoint says another issuer minted → 401', async () => {
      // An upstream provider's token means nothing to our authorization server.
      assertInvalidToken(await callTool(resource, `gho_${randomBytes(18).toString('hex')}`), 'GitHub token');
      assertInvalidToken(await callTool(resource, issue({ iss: 'https://github.example' })), 'foreign iss');
    });
  });

  describe('R12 DNS rebinding', () => dnsRebindingTests(mode));
});
