import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';
import { DownstreamTokenError, type SubjectToken, tokenExchange } from '../../src/index.js';
import { ExchangedTokenCache } from '../../src/resource/downstream.js';
import { type CannedTokenAnswer, refusal, refusedUrl, useTokenEndpoint } from '../helpers/token-endpoint-server.js';

const CLIENT_ID = 'mcp server:1';
const CLIENT_SECRET = `s3cret/with:odd+chars é ${randomBytes(8).toString('hex')}`;
const RESOURCE = 'https://api.example.com/notes';

function subject(token = `caller-token-${randomBytes(16).toString('base64url')}`): SubjectToken {
  return { token, verified: { subject: 'ada', scopes: ['read:whoami'], audience: ['http://127.0.0.1/mcp'], expiresAt: Date.now() / 1000 + 300, claims: {} } };
}

/** Neither what the client sent us nor our own secret ever shows in what a tool (or a log) is told. */
function assertNothingSecret(error: DownstreamTokenError, caller: SubjectToken): void {
  for (const text of [error.message, error.description, JSON.stringify(error), String(error.stack)]) {
    assert.ok(!text.includes(caller.token!), `no subject token in ${text}`);
    assert.ok(!text.includes(CLIENT_SECRET), `no client secret in ${text}`);
  }
}

describe('tokenExchange(): RFC 8693 at an external authorization server', () => {
  const as = useTokenEndpoint(() => ({ body: { access_token: 'downstream-1', token_type: 'Bearer', expires_in: 300, scope: 'notes:read' } }));

  it('sends the token-exchange request with the subject token and client_secret_basic, form-encoded before base64', async () => {
    const exchanger = tokenExchange({ tokenEndpoint: as.tokenEndpoint, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    const caller = subject();
    const token = await exchanger.exchange(caller, { resource: RESOURCE, scopes: ['notes:read', 'notes:list'] });

    assert.equal(as.requests.length, 1);
    const [request] = as.requests;
    assert.equal(request!.path, '/token');
    assert.match(String(request!.headers['content-type']), /^application\/x-www-form-urlencoded/);
    assert.deepEqual(Object.fromEntries(request!.form), {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: caller.token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      resource: RESOURCE,
      scope: 'notes:read notes:list',
    });
    // RFC 6749 §2.3.1: application/x-www-form-urlencoded id and secret, then "id:secret" in base64.
    const formEncoded = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
    const expected = Buffer.from(`${formEncoded(CLIENT_ID)}:${formEncoded(CLIENT_SECRET)}`).toString('base64');
    assert.equal(request!.headers.authorization, `Basic ${expected}`);
    assert.ok(!Buffer.from(expected, 'base64').toString().includes(CLIENT_SECRET), 'the secret was encoded, not sent raw');

    assert.equal(token.accessToken, 'downstream-1');
    assert.deepEqual(token.scopes, ['notes:read']);
    assert.ok(Math.abs(token.expiresAt - (Date.now() / 1000 + 300)) < 5);
    assert.match(exchanger.description, /token exchange at http:\/\/127\.0\.0\.1:\d+\/token \(client_secret_basic\)/);
  });

  it('client_secret_post puts the credentials in the body and sends no Authorization header', async () => {
    const exchanger = tokenExchange({ tokenEndpoint: as.tokenEndpoint, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, clientAuth: 'client_secret_post' });
    await exchanger.exchange(subject(), { resource: RESOURCE });
    const [request] = as.requests;
    assert.equal(request!.headers.authorization, undefined);
    assert.equal(request!.form.get('client_id'), CLIENT_ID);
    assert.equal(request!.form.get('client_secret'), CLIENT_SECRET);
  });

  it('sends no scope when none is asked for; without expires_in and scope the token lives a minute with the requested scopes', async () => {
    as.answer = () => ({ body: { access_token: 'downstream-bare', token_type: 'bearer' } });
    const exchanger = tokenExchange({ tokenEndpoint: as.tokenEndpoint, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    const bare = await exchanger.exchange(subject(), { resource: RESOURCE });
    assert.equal(as.requests[0]!.form.has('scope'), false);
    assert.deepEqual(bare.scopes, []);
    assert.ok(bare.expiresAt - Date.now() / 1000 <= 60 && bare.expiresAt - Date.now() / 1000 > 55);
    const scoped = await exchanger.exchange(subject(), { resource: RESOURCE, scopes: ['notes:write'] });
    assert.deepEqual(scoped.scopes, ['notes:write']);
  });

  it('private_key_jwt: a fresh assertion signed with the key, iss = sub = client id, aud the token endpoint, a minute at most', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk: JWK = { ...(await exportJWK(privateKey)), kid: 'rs-key-1' };
    const exchanger = tokenExchange({ tokenEndpoint: as.tokenEndpoint, clientId: CLIENT_ID, privateKey: jwk });
    await exchanger.exchange(subject(), { resource: RESOURCE });
    await exchanger.exchange(subject(), { resource: RESOURCE });

    const jtis = [];
    for (const request of as.requests) {
      assert.equal(request.headers.authorization, undefined);
      assert.equal(request.form.has('client_secret'), false);
      assert.equal(request.form.get('client_assertion_type'), 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      const { payload, protectedHeader } = await jwtVerify(request.form.get('client_assertion')!, publicKey, {
        issuer: CLIENT_ID,
        subject: CLIENT_ID,
        audience: as.tokenEndpoint,
        algorithms: ['ES256'],
      });
      assert.equal(protectedHeader.kid, 'rs-key-1');
      const now = Date.now() / 1000;
      assert.ok(payload.exp! > now && payload.exp! <= now + 61, 'expires within a minute');
      assert.ok(payload.exp! - payload.iat! <= 60);
      assert.equal(typeof payload.jti, 'string');
      jtis.push(payload.jti);
    }
    assert.equal(new Set(jtis).size, 2, 'every assertion has its own jti');
    assert.match(exchanger.description, /private_key_jwt/);
  });

  it('an assertion signed with another key does not verify (the check above can fail)', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const other = await generateKeyPair('ES256');
    const exchanger = tokenExchange({ tokenEndpoint: as.tokenEndpoint, clientId: CLIENT_ID, privateKey: await exportJWK(privateKey) });
    await exchanger.exchange(subject(), { resource: RESOURCE });
    await assert.rejects(jwtVerify(as.requests[0]!.form.get('client_assertion')!, other.publicKey));
  });

  it('audience: asks for the logical name the resource maps to, and refuses an unmapped resource without asking', async () => {
    const exchanger = tokenExchange({
      tokenEndpoint: as.tokenEndpoint,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      audience: { [RESOURCE]: 'notes-api' },
    });
    await exchanger.exchange(subject(), { resource: RESOURCE });
    assert.equal(as.requests[0]!.form.get('audience'), 'notes-api');
    assert.equal(as.requests[0]!.form.has('resource'), false);
    const error = await refusal(exchanger.exchange(subject(), { resource: 'https://other.example.com/' }));
    assert.equal(error.code, 'invalid_target');
    assert.equal(as.requests.length, 1);
  });

  it('refuses a scope with a space in it (it would smuggle another scope) and a resource that is not a URL, without asking', async () => {
    const exchanger = tokenExchange({ tokenEndpoint: as.tokenEndpoint, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    assert.equal((await refusal(exchanger.exchange(subject(), { resource: RESOURCE, scopes: ['notes:read admin'] }))).code, 'invalid_scope');
    assert.equal((await refusal(exchanger.exchange(subject(), { resource: 'notes' }))).code, 'invalid_target');
    assert.equal((await refusal(exchanger.exchange(subject(), { resource: `${RESOURCE}#frag` }))).code, 'invalid_target');
    assert.equal(as.requests.length, 0);
  });

  describe('discovery by issuer', () => {
    it('reads the token endpoint from RFC 8414 path-inserted metadata, once', async () => {
      const issuer = `${as.url}/tenant-a`;
      as.documents.set('/.well-known/oauth-authorization-server/tenant-a', { issuer, token_endpoint: `${issuer}/exchange` });
      const exchanger = tokenExchange({ issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
      await Promise.all([exchanger.exchange(subject(), { resource: RESOURCE }), exchanger.exchange(subject(), { resource: RESOURCE })]);
      await exchanger.exchange(subject(), { resource: RESOURCE });
      assert.equal(as.documentFetches, 1);
      assert.deepEqual(
        as.requests.map((r) => r.path),
        ['/tenant-a/exchange', '/tenant-a/exchange', '/tenant-a/exchange'],
      );
    });

    it('falls back to OpenID Connect discovery', async () => {
      const issuer = `${as.url}/realm`;
      as.documents.set('/realm/.well-known/openid-configuration', { issuer, token_endpoint: `${issuer}/oidc-token` });
      const exchanger = tokenExchange({ issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
      await exchanger.exchange(subject(), { resource: RESOURCE });
      assert.equal(as.requests[0]!.path, '/realm/oidc-token');
    });

    it("refuses metadata naming another issuer (mix-up) and sends the caller's token nowhere", async () => {
      const issuer = `${as.url}/victim`;
      as.documents.set('/.well-known/oauth-authorization-server/victim', { issuer: `${as.url}/attacker`, token_endpoint: `${as.url}/steal` });
      const exchanger = tokenExchange({ issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
      const caller = subject();
      const error = await refusal(exchanger.exchange(caller, { resource: RESOURCE }));
      assert.equal(error.code, 'temporarily_unavailable');
      assert.match(error.message, /names the issuer ".*\/attacker", not ".*\/victim"/);
      assert.equal(as.requests.length, 0);
      assertNothingSecret(error, caller);
    });

    it('tries again after a failed discovery', async () => {
      const issuer = `${as.url}/late`;
      const exchanger = tokenExchange({ issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
      const error = await refusal(exchanger.exchange(subject(), { resource: RESOURCE }));
      assert.match(error.message, /no metadata at .*HTTP 404/);
      as.documents.set('/.well-known/oauth-authorization-server/late', { issuer, token_endpoint: `${issuer}/token` });
      await exchanger.exchange(subject(), { resource: RESOURCE });
      assert.equal(as.requests[0]!.path, '/late/token');
    });
  });

  describe('errors', () => {
    const exchangerAt = (tokenEndpoint: string) => tokenExchange({ tokenEndpoint, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, timeoutSeconds: 0.5 });

    it("keeps the authorization server's OAuth error and description, as a 400", async () => {
      as.answer = () => ({ status: 400, body: { error: 'invalid_target', error_description: 'notes-api is not a known audience' } });
      const caller = subject();
      const error = await refusal(exchangerAt(as.tokenEndpoint).exchange(caller, { resource: RESOURCE }));
      assert.equal(error.code, 'invalid_target');
      assert.equal(error.status, 400);
      assert.equal(error.description, 'notes-api is not a known audience');
      assertNothingSecret(error, caller);

      as.answer = () => ({ status: 401, body: { error: 'invalid_client' } });
      const unknownClient = await refusal(exchangerAt(as.tokenEndpoint).exchange(caller, { resource: RESOURCE }));
      assert.equal(unknownClient.code, 'invalid_client');
      assert.match(unknownClient.message, /refused the token exchange \(invalid_client\)/);
    });

    it('cuts the subject token and the secret out of a description that echoes them', async () => {
      const caller = subject();
      as.answer = (request) => ({
        status: 400,
        body: { error: 'invalid_grant', error_description: `bad subject_token ${request.form.get('subject_token')} for client secret ${CLIENT_SECRET}` },
      });
      const error = await refusal(exchangerAt(as.tokenEndpoint).exchange(caller, { resource: RESOURCE }));
      assert.equal(error.code, 'invalid_grant');
      assert.equal(error.description, 'bad subject_token [redacted] for client secret [redacted]');
      assertNothingSecret(error, caller);
    });

    /** What the token endpoint answers (or where the exchanger is pointed instead), and what the error must say. */
    const unavailable: Array<{ what: string; answer?: CannedTokenAnswer; at?: () => Promise<string>; message: RegExp }> = [
      { what: 'a 500', answer: { status: 500, body: { error: 'server_error' } }, message: /answered HTTP 500/ },
      { what: 'a 502 page', answer: { status: 502, body: '<html>bad gateway</html>', contentType: 'text/html' }, message: /HTTP 502/ },
      { what: 'a 200 that is not JSON', answer: { body: 'access_token=abc', contentType: 'text/plain' }, message: /not a JSON object/ },
      { what: 'a 200 without an access token', answer: { body: { token_type: 'Bearer' } }, message: /without an access_token/ },
      { what: 'a DPoP-bound token', answer: { body: { access_token: 'x', token_type: 'DPoP' } }, message: /not a bearer token/ },
      { what: 'a 404 page', answer: { status: 404, body: 'Not Found', contentType: 'text/plain' }, message: /HTTP 404 without an OAuth error/ },
      { what: 'a refused connection', at: refusedUrl, message: /could not be reached \(ECONNREFUSED\)/ },
      { what: 'no answer in time', answer: { body: { access_token: 'late' }, delayMs: 2000 }, message: /did not answer within 500 ms/ },
    ];
    for (const { what, answer, at, message } of unavailable) {
      it(`${what} is temporarily_unavailable, saying what went wrong and nothing secret`, async () => {
        if (answer) as.answer = () => answer;
        const caller = subject();
        const error = await refusal(exchangerAt(at ? await at() : as.tokenEndpoint).exchange(caller, { resource: RESOURCE }));
        assert.equal(error.code, 'temporarily_unavailable');
        assert.equal(error.status, 503);
        assert.match(error.message, message);
        assertNothingSecret(error, caller);
      });
    }
  });

  describe('options are checked when the exchanger is made', () => {
    const cases: Array<[string, () => unknown, RegExp]> = [
      ['neither endpoint nor issuer', () => tokenExchange({ clientId: CLIENT_ID, clientSecret: 'x' }), /set tokenEndpoint or issuer/],
      [
        'both',
        () => tokenExchange({ tokenEndpoint: 'https://as.example/token', issuer: 'https://as.example', clientId: CLIENT_ID, clientSecret: 'x' }),
        /set tokenEndpoint or issuer/,
      ],
      [
        'plain http off loopback',
        () => tokenExchange({ tokenEndpoint: 'http://as.example/token', clientId: CLIENT_ID, clientSecret: 'x' }),
        /tokenEndpoint "http:\/\/as.example\/token" must use https/,
      ],
      ['no credentials', () => tokenExchange({ tokenEndpoint: 'https://as.example/token', clientId: CLIENT_ID }), /set clientSecret or privateKey/],
      ['no client id', () => tokenExchange({ tokenEndpoint: 'https://as.example/token', clientId: '', clientSecret: 'x' }), /set clientId/],
      [
        'a public key',
        () => tokenExchange({ tokenEndpoint: 'https://as.example/token', clientId: CLIENT_ID, privateKey: { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' } }),
        /privateKey is not a private key JWK/,
      ],
      [
        'clientAuth with a key',
        () => tokenExchange({ tokenEndpoint: 'https://as.example/token', clientId: CLIENT_ID, privateKey: {}, clientAuth: 'client_secret_post' }),
        /clientAuth applies only with clientSecret/,
      ],
    ];
    for (const [what, make, message] of cases) {
      it(what, () => assert.throws(make, (error: Error) => !(error instanceof DownstreamTokenError) && message.test(error.message)));
    }
  });
});

describe('the exchanged-token cache over tokenExchange()', () => {
  // Each answer a new token, so a test can tell a cached one from a fresh one.
  const as = useTokenEndpoint(() => ({ body: { access_token: `downstream-${as.requests.length}`, token_type: 'Bearer', expires_in: 300 } }));
  let cache: ExchangedTokenCache;
  beforeEach(() => {
    cache = new ExchangedTokenCache(tokenExchange({ tokenEndpoint: as.tokenEndpoint, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }));
  });

  it('asks once for the same caller token, resource and scopes; again for other scopes, another resource or another caller', async () => {
    const ada = subject();
    const first = await cache.tokenFor(ada, { resource: RESOURCE, scopes: ['a', 'b'] });
    const again = await cache.tokenFor(ada, { resource: RESOURCE, scopes: ['b', 'a'] });
    assert.equal(again.accessToken, first.accessToken);
    assert.equal(as.requests.length, 1);
    await cache.tokenFor(ada, { resource: RESOURCE, scopes: ['a'] });
    await cache.tokenFor(ada, { resource: 'https://api.example.com/other' });
    const other = await cache.tokenFor(subject(), { resource: RESOURCE, scopes: ['a', 'b'] });
    assert.notEqual(other.accessToken, first.accessToken);
    assert.equal(as.requests.length, 4);
  });

  it('exchanges again for a token inside the 30 s expiry margin', async () => {
    as.answer = () => ({ body: { access_token: `short-${as.requests.length}`, token_type: 'Bearer', expires_in: 20 } });
    const ada = subject();
    const first = await cache.tokenFor(ada, { resource: RESOURCE });
    const second = await cache.tokenFor(ada, { resource: RESOURCE });
    assert.equal(as.requests.length, 2);
    assert.notEqual(second.accessToken, first.accessToken);
  });

  it('makes one request for two concurrent calls', async () => {
    as.answer = () => ({ body: { access_token: 'shared', token_type: 'Bearer', expires_in: 300 }, delayMs: 100 });
    const ada = subject();
    const [a, b] = await Promise.all([cache.tokenFor(ada, { resource: RESOURCE }), cache.tokenFor(ada, { resource: RESOURCE })]);
    assert.equal(a.accessToken, 'shared');
    assert.equal(b.accessToken, 'shared');
    assert.equal(as.requests.length, 1);
  });

  it('does not keep a failed exchange', async () => {
    as.answer = () => ({ status: 500, body: {} });
    const ada = subject();
    await refusal(cache.tokenFor(ada, { resource: RESOURCE }));
    as.answer = () => ({ body: { access_token: 'recovered', token_type: 'Bearer', expires_in: 300 } });
    assert.equal((await cache.tokenFor(ada, { resource: RESOURCE })).accessToken, 'recovered');
    assert.equal(as.requests.length, 2);
  });
});
