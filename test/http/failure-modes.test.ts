import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jwt, resource, type TokenVerifier, type VerifiedToken } from '../../src/index.js';
import { TestIssuer } from '../helpers/issuer.js';
import { postMcp, startServer, type TestServer } from '../helpers/server.js';

describe('when verification cannot be done', () => {
  it('answers 503 with Retry-After while the issuer JWKS is unreachable, never accepting the token', async () => {
    const issuer = await TestIssuer.start();
    const jwksUri = issuer.jwksUri;
    const server = await startServer(jwt({ issuer: issuer.url, jwksUri }), { issuer: issuer.url });
    try {
      const token = await issuer.token(server.urls.resource);
      await issuer.close();
      const response = await postMcp(server.urls.resource, token);
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('retry-after'), '5');
      assert.equal((await response.json()).error, 'temporarily_unavailable');
    } finally {
      await server.close();
    }
  });

  it("refuses a token from another issuer with 401 while the issuer's JWKS is unreachable: the token names its issuer", async () => {
    const issuer = await TestIssuer.start();
    const stranger = await TestIssuer.start();
    const server = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), { issuer: issuer.url });
    try {
      const foreign = await stranger.token(server.urls.resource);
      const notJwt = 'opaque-token-that-is-no-jwt';
      await issuer.close();
      const refused = await postMcp(server.urls.resource, foreign);
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get('www-authenticate') ?? '', /error="invalid_token", error_description="The token was issued by an untrusted issuer"/);
      assert.equal((await postMcp(server.urls.resource, notJwt)).status, 401, 'not a JWT at all: refused as it is too');
      assert.equal(issuer.jwksFetches, 0, 'no key was fetched for either');
      const line = JSON.parse(server.logs.filter((l) => l.includes('"msg":"request"')).at(-2)!);
      assert.equal(line.outcome, 'invalid_token');
      assert.equal(line.reason, 'The token was issued by an untrusted issuer');
      // The issuer's own token still cannot be judged without its keys: 503, and the log line says why.
      assert.equal((await postMcp(server.urls.resource, await issuer.token(server.urls.resource))).status, 503);
      assert.match(JSON.parse(server.logs.at(-1)!).reason, /JWKS at .* could not be reached \(ECONNREFUSED\)/);
    } finally {
      await server.close();
      await stranger.close();
    }
  });

  it('treats a verifier that throws something unexpected as a refusal, and logs it', async () => {
    const broken: TokenVerifier = {
      description: 'broken',
      verify: async () => {
        throw new RangeError('bug in verifier');
      },
    };
    const server = await startServer(broken);
    try {
      const response = await postMcp(server.urls.resource, 'some-token');
      assert.equal(response.status, 401);
      assert.ok(server.logs.some((l) => l.includes('bug in verifier')));
    } finally {
      await server.close();
    }
  });

  it('treats a verifier that throws before returning a promise as a refusal too', async () => {
    const throwing: TokenVerifier = {
      description: 'throws',
      verify: () => {
        throw new RangeError('thrown at once');
      },
    };
    const server = await startServer(throwing);
    try {
      assert.equal((await postMcp(server.urls.resource, 'some-token')).status, 401);
      assert.ok(server.logs.some((l) => l.includes('thrown at once')));
    } finally {
      await server.close();
    }
  });

  it('takes a cached answer from the verifier without asking again, and still applies audience and expiry to it', async () => {
    let asked = 0;
    const answers = new Map<string, VerifiedToken>();
    const caching: TokenVerifier = {
      description: 'caching',
      cached: (token) => answers.get(token),
      verify: async (token) => {
        asked += 1;
        return { subject: token, scopes: ['read:whoami'], audience: [], expiresAt: Date.now() / 1000 + 60, claims: {} };
      },
    };
    const server = await startServer(caching);
    try {
      const answer = (audience: string, expiresIn: number): VerifiedToken => ({
        subject: 's',
        scopes: ['read:whoami'],
        audience: [audience],
        expiresAt: Date.now() / 1000 + expiresIn,
        claims: {},
      });
      answers.set('fresh', answer(server.urls.resource, 60));
      answers.set('elsewhere', answer('https://other.example/mcp', 60));
      answers.set('stale', answer(server.urls.resource, -3600));
      assert.equal((await postMcp(server.urls.resource, 'fresh')).status, 200);
      assert.equal((await postMcp(server.urls.resource, 'elsewhere')).status, 401, 'a cached token for another resource');
      assert.equal((await postMcp(server.urls.resource, 'stale')).status, 401, 'a cached token past its expiry');
      assert.equal(asked, 0, 'every answer came from the cache');
      assert.equal((await postMcp(server.urls.resource, 'unknown')).status, 401, 'not cached: verified (and here, for no audience)');
      assert.equal(asked, 1);
    } finally {
      await server.close();
    }
  });

  it('refuses tokens without an audience unless told otherwise, and never tokens for someone else', async () => {
    const noAud: TokenVerifier = {
      description: 'no aud',
      verify: async (token) => ({
        subject: 's',
        scopes: ['read:whoami'],
        audience: token === 'other' ? ['https://other/mcp'] : [],
        expiresAt: Date.now() / 1000 + 60,
        claims: {},
      }),
    };
    const strict = await startServer(noAud);
    const relaxed = await startServer(noAud, {
      auth: resource({ authorizationServers: 'https://as.example.com', verifier: noAud, dangerouslyAcceptMissingAudience: true }),
    });
    try {
      assert.equal((await postMcp(strict.urls.resource, 'none')).status, 401);
      assert.equal((await postMcp(relaxed.urls.resource, 'none')).status, 200);
      assert.equal((await postMcp(relaxed.urls.resource, 'other')).status, 401);
      assert.ok(
        relaxed.logs.some((l) => l.includes('dangerouslyAcceptMissingAudience')),
        'a loud warning',
      );
    } finally {
      await strict.close();
      await relaxed.close();
    }
  });
});

describe('browser clients on allowed origins', () => {
  let issuer: TestIssuer;
  let server: TestServer;
  const inspector = 'http://localhost:6274';
  before(async () => {
    issuer = await TestIssuer.start();
    server = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), { issuer: issuer.url, allowedOrigins: [inspector] });
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  it('answers the preflight for an allowed origin only', async () => {
    const ok = await fetch(server.urls.resource, { method: 'OPTIONS', headers: { origin: inspector, 'access-control-request-method': 'POST' } });
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), inspector);
    assert.match(ok.headers.get('access-control-allow-headers')!, /Authorization/);
    const bad = await fetch(server.urls.resource, { method: 'OPTIONS', headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST' } });
    assert.equal(bad.status, 403);
  });

  it('lets the allowed origin read the challenge and the result', async () => {
    const challenge = await postMcp(server.urls.resource, undefined, undefined, { origin: inspector });
    assert.equal(challenge.status, 401);
    assert.equal(challenge.headers.get('access-control-allow-origin'), inspector);
    assert.match(challenge.headers.get('access-control-expose-headers')!, /WWW-Authenticate/);
    const ok = await postMcp(server.urls.resource, await issuer.token(server.urls.resource), undefined, { origin: inspector });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), inspector);
  });
});
