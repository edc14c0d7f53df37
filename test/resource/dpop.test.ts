import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { introspection, jwt, openStore, resource as resourceMode, type Store } from '../../src/index.js';
import { DpopKey } from '../helpers/dpop.js';
import { TestIntrospectionServer } from '../helpers/introspection-server.js';
import { TestIssuer } from '../helpers/issuer.js';
import { MCP_HEADERS, rawRequest, startServer, type TestServer } from '../helpers/server.js';
import { sharedRedis } from '../store/redis-fixture.js';

const PROTOCOL = { 'mcp-protocol-version': '2025-11-25' };
const WHOAMI = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } });

interface Answer {
  status: number;
  challenge: string;
  nonce: string | null;
  body: string;
}

/** Call whoami at `url` with this Authorization header and DPoP proof (or several proofs, as separate headers). */
async function call(url: string, authorization: string | undefined, proof?: string | string[], extra: Record<string, string> = {}): Promise<Answer> {
  // A flat list of names and values (so DPoP can be repeated); node:http then adds no Host of its own.
  const headers: string[] = Object.entries({ host: new URL(url).host, ...MCP_HEADERS, ...PROTOCOL, ...extra, ...(authorization && { authorization }) }).flat();
  for (const p of proof === undefined ? [] : Array.isArray(proof) ? proof : [proof]) headers.push('DPoP', p);
  const response = await rawRequest(url, { method: 'POST', headers, body: WHOAMI });
  return {
    status: response.status,
    challenge: String(response.headers['www-authenticate'] ?? ''),
    nonce: (response.headers['dpop-nonce'] as string | undefined) ?? null,
    body: response.body,
  };
}

function assertProofRefused(answer: Answer, label: string, error = 'invalid_dpop_proof'): void {
  assert.equal(answer.status, 401, `${label}: ${answer.body.slice(0, 200)}`);
  assert.match(answer.challenge, new RegExp(`DPoP error="${error}"`), `${label}: ${answer.challenge}`);
  assert.match(answer.challenge, /algs="ES256 /, label);
  assert.doesNotMatch(answer.body, /"subject"/, label);
}

function assertTokenRefused(answer: Answer, label: string): void {
  assert.equal(answer.status, 401, `${label}: ${answer.body.slice(0, 200)}`);
  assert.match(answer.challenge, /error="invalid_token"/, `${label}: ${answer.challenge}`);
  assert.doesNotMatch(answer.body, /"subject"/, label);
}

/**
 * RFC 9449 at the resource: a token bound to a key (`cnf.jkt`) is worth nothing without that key. An attacker
 * who copies a bound token — from a log, a proxy, a compromised client's memory — cannot use it as a bearer
 * token, nor with proofs of their own key, nor with a proof they saw go by.
 */
describe('DPoP in resource mode with an external JWT issuer that binds tokens (cnf.jkt)', () => {
  let issuer: TestIssuer;
  let server: TestServer;
  let resource: string;
  let key: DpopKey;
  const bound = (extra: Record<string, unknown> = {}) => issuer.token(resource, { sub: 'dpop-user', claims: { cnf: { jkt: key.jkt }, ...extra } });

  before(async () => {
    issuer = await TestIssuer.start();
    server = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), { issuer: issuer.url });
    resource = server.urls.resource;
    key = await DpopKey.create();
  });
  after(async () => {
    await server?.close();
    await issuer?.close();
  });

  it('control: a bound token with the DPoP scheme and a fresh proof of its key is accepted, request after request', async () => {
    const token = await bound();
    for (let i = 0; i < 3; i++) {
      const answer = await call(resource, `DPoP ${token}`, await key.proof({ htu: resource, token }));
      assert.equal(answer.status, 200, answer.body);
      assert.match(answer.body, /dpop-user/);
    }
    // §4.3 (9): query and fragment of htu are ignored.
    const answer = await call(resource, `DPoP ${token}`, await key.proof({ htu: `${resource}?x=1#f`, token }));
    assert.equal(answer.status, 200, answer.body);
  });

  it('refuses a bound token presented as a bearer token, with or without a proof', async () => {
    const token = await bound();
    assertTokenRefused(await call(resource, `Bearer ${token}`), 'no proof');
    assertTokenRefused(await call(resource, `Bearer ${token}`, await key.proof({ htu: resource, token })), 'with a proof');
  });

  it('refuses a bound token with the DPoP scheme and no proof, even once the token is in the verification cache', async () => {
    const token = await bound();
    assert.equal((await call(resource, `DPoP ${token}`, await key.proof({ htu: resource, token }))).status, 200);
    assertProofRefused(await call(resource, `DPoP ${token}`), 'cached token, no proof');
    assertTokenRefused(await call(resource, `Bearer ${token}`), 'cached token, bearer scheme');
  });

  it('refuses a replayed proof', async () => {
    const token = await bound();
    const proof = await key.proof({ htu: resource, token });
    assert.equal((await call(resource, `DPoP ${token}`, proof)).status, 200);
    assertProofRefused(await call(resource, `DPoP ${token}`, proof), 'replay');
  });

  it('refuses each malformed or misdirected proof (RFC 9449 §4.3)', async () => {
    const token = await bound();
    const other = await DpopKey.create();
    const now = Math.floor(Date.now() / 1000);
    const hs256 = await new SignJWT({ jti: 'x', htm: 'POST', htu: resource, iat: now, ath: 'x' })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0' } as never })
      .sign(randomBytes(32));
    const header = (h: object) => Buffer.from(JSON.stringify(h)).toString('base64url');
    const payload = (p: object) => Buffer.from(JSON.stringify(p)).toString('base64url');
    const none = `${header({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk })}.${payload({ jti: 'n', htm: 'POST', htu: resource, iat: now })}.`;
    const cases: Record<string, string | string[]> = {
      'typ JWT': await key.proof({ htu: resource, token, typ: 'JWT' }),
      'alg HS256 with a symmetric key': hs256,
      'alg none': none,
      'another HTTP method (htm GET)': await key.proof({ htu: resource, token, htm: 'GET' }),
      'another URL (htu)': await key.proof({ htu: `${server.urls.origin}/other`, token }),
      'another host in htu': await key.proof({ htu: 'https://evil.example/mcp', token }),
      'an old iat': await key.proof({ htu: resource, token, iat: now - 600 }),
      'an iat in the future': await key.proof({ htu: resource, token, iat: now + 600 }),
      'no iat': await key.proof({ htu: resource, token, omit: 'iat' }),
      'no jti': await key.proof({ htu: resource, token, omit: 'jti' }),
      'no ath': await key.proof({ htu: resource, token, omit: 'ath' }),
      'the ath of another token': await key.proof({ htu: resource, token: `${await bound()}x` }),
      'a proof by another key (thumbprint ≠ cnf.jkt)': await other.proof({ htu: resource, token }),
      'a private key in the header': await key.proof({ htu: resource, token, jwk: key.privateJwk }),
      'two DPoP headers': [await key.proof({ htu: resource, token }), await key.proof({ htu: resource, token })],
      'not a JWT': 'not-a-proof',
    };
    for (const [label, proof] of Object.entries(cases)) assertProofRefused(await call(resource, `DPoP ${token}`, proof), label);
  });

  it('refuses the DPoP scheme with a token that is not bound', async () => {
    const token = await issuer.token(resource, { sub: 'plain' });
    assertTokenRefused(await call(resource, `DPoP ${token}`, await key.proof({ htu: resource, token })), 'unbound token');
    assert.equal((await call(resource, `Bearer ${token}`)).status, 200, 'the same token as a bearer token');
  });

  it('refuses a token bound to something it cannot check (cnf without jkt)', async () => {
    const token = await issuer.token(resource, { claims: { cnf: { 'x5t#S256': 'abc' } } });
    assertTokenRefused(await call(resource, `Bearer ${token}`), 'mTLS-bound token');
  });

  it('challenges for DPoP beside Bearer, and advertises its proof algorithms', async () => {
    const answer = await call(resource, undefined);
    assert.equal(answer.status, 401);
    assert.match(answer.challenge, /^Bearer scope="[^"]*", resource_metadata="[^"]+", DPoP algs="ES256 [^"]*"$/);
    const metadata = (await (await fetch(server.urls.resourceMetadata)).json()) as Record<string, unknown>;
    assert.ok(Array.isArray(metadata['dpop_signing_alg_values_supported']) && (metadata['dpop_signing_alg_values_supported'] as string[]).includes('ES256'));
    assert.ok(!(metadata['dpop_signing_alg_values_supported'] as string[]).some((alg) => alg === 'none' || alg.startsWith('HS')));
    assert.equal(metadata['dpop_bound_access_tokens_required'], undefined);
  });
});

describe('DPoP behind a proxy: htu is the public URL, not the address the request reached', () => {
  let issuer: TestIssuer;
  let server: TestServer;

  before(async () => {
    issuer = await TestIssuer.start();
    server = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), {
      issuer: issuer.url,
      publicUrl: 'https://mcp.example.com',
      allowedHosts: ['127.0.0.1'],
    });
  });
  after(async () => {
    await server?.close();
    await issuer?.close();
  });

  it('accepts a proof for the public URL and refuses one for the local address', async () => {
    const key = await DpopKey.create();
    const token = await issuer.token(server.urls.resource, { claims: { cnf: { jkt: key.jkt } } });
    const local = `http://127.0.0.1:${server.port}/mcp`;
    assert.equal((await call(local, `DPoP ${token}`, await key.proof({ htu: 'https://mcp.example.com/mcp', token }))).status, 200);
    assertProofRefused(await call(local, `DPoP ${token}`, await key.proof({ htu: local, token })), 'htu of the local address');
  });
});

describe('DPoP required', () => {
  let issuer: TestIssuer;
  let server: TestServer;

  before(async () => {
    issuer = await TestIssuer.start();
    server = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), { issuer: issuer.url, dpop: { required: true } });
  });
  after(async () => {
    await server?.close();
    await issuer?.close();
  });

  it('refuses every bearer token, challenges for DPoP only, and says so in its metadata', async () => {
    const resource = server.urls.resource;
    const plain = await issuer.token(resource);
    const refused = await call(resource, `Bearer ${plain}`);
    assert.equal(refused.status, 401);
    assert.match(refused.challenge, /^DPoP error="invalid_token", error_description="[^"]+", scope="[^"]*", resource_metadata="[^"]+", algs="[^"]+"$/);
    const anonymous = await call(resource, undefined);
    assert.match(anonymous.challenge, /^DPoP scope="[^"]*", resource_metadata="[^"]+", algs="[^"]+"$/);
    const metadata = (await (await fetch(server.urls.resourceMetadata)).json()) as Record<string, unknown>;
    assert.equal(metadata['dpop_bound_access_tokens_required'], true);

    const key = await DpopKey.create();
    const token = await issuer.token(resource, { claims: { cnf: { jkt: key.jkt } } });
    assert.equal((await call(resource, `DPoP ${token}`, await key.proof({ htu: resource, token }))).status, 200);
  });
});

describe('DPoP nonces', () => {
  let issuer: TestIssuer;
  let server: TestServer;

  before(async () => {
    issuer = await TestIssuer.start();
    server = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), {
      issuer: issuer.url,
      dpop: { nonceSecret: randomBytes(32).toString('hex') },
    });
  });
  after(async () => {
    await server?.close();
    await issuer?.close();
  });

  it('answers a proof without the server nonce with use_dpop_nonce and a DPoP-Nonce, then accepts it with the nonce', async () => {
    const resource = server.urls.resource;
    const key = await DpopKey.create();
    const token = await issuer.token(resource, { claims: { cnf: { jkt: key.jkt } } });
    const first = await call(resource, `DPoP ${token}`, await key.proof({ htu: resource, token }));
    assertProofRefused(first, 'no nonce', 'use_dpop_nonce');
    assert.ok(first.nonce, 'a DPoP-Nonce header');
    assertProofRefused(
      await call(resource, `DPoP ${token}`, await key.proof({ htu: resource, token, nonce: `${first.nonce}x` })),
      'forged nonce',
      'use_dpop_nonce',
    );
    const second = await call(resource, `DPoP ${token}`, await key.proof({ htu: resource, token, nonce: first.nonce! }));
    assert.equal(second.status, 200, second.body);
  });
});

describe('DPoP with an introspection verifier (cnf in the introspection answer)', () => {
  let as: TestIntrospectionServer;
  let server: TestServer;

  before(async () => {
    as = await TestIntrospectionServer.start();
    server = await startServer(introspection({ url: as.endpoint, clientId: as.clientId, clientSecret: as.clientSecret }), { issuer: as.url });
  });
  after(async () => {
    await server?.close();
    await as?.close();
  });

  it('accepts the opaque bound token only with the DPoP scheme and a proof of its key', async () => {
    const resource = server.urls.resource;
    const key = await DpopKey.create();
    const token = `opaque-${randomBytes(16).toString('hex')}`;
    as.tokens.set(token, {
      sub: 'introspected',
      aud: resource,
      scope: 'read:whoami',
      exp: Math.floor(Date.now() / 1000) + 300,
      cnf: { jkt: key.jkt },
    } as never);
    assertTokenRefused(await call(resource, `Bearer ${token}`), 'bearer');
    assertProofRefused(await call(resource, `DPoP ${token}`, await (await DpopKey.create()).proof({ htu: resource, token })), 'another key');
    const answer = await call(resource, `DPoP ${token}`, await key.proof({ htu: resource, token }));
    assert.equal(answer.status, 200, answer.body);
    assert.match(answer.body, /introspected/);
  });
});

describe('DPoP proofs are single-use across replicas sharing a Redis store', () => {
  let issuer: TestIssuer;
  let redis: { url: string; release: () => Promise<void> };
  const stores: Store[] = [];
  const replicas: TestServer[] = [];

  before(async () => {
    issuer = await TestIssuer.start();
    redis = await sharedRedis();
    const prefix = `dpop-test-${randomBytes(6).toString('hex')}`;
    for (let i = 0; i < 2; i++) {
      const store = await openStore(redis.url, { prefix });
      stores.push(store);
      // The same public URL, as replicas behind one load balancer have.
      const verifier = jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri });
      const auth = resourceMode({ authorizationServers: issuer.url, verifier, store });
      replicas.push(await startServer(verifier, { auth, publicUrl: 'https://mcp.example.com', allowedHosts: ['127.0.0.1'] }));
    }
  });
  after(async () => {
    for (const replica of replicas) await replica.close();
    for (const store of stores) await store.close();
    await redis?.release();
    await issuer?.close();
  });

  it('a proof accepted by one replica is refused by the other', async () => {
    const key = await DpopKey.create();
    const token = await issuer.token('https://mcp.example.com/mcp', { claims: { cnf: { jkt: key.jkt } } });
    const proof = await key.proof({ htu: 'https://mcp.example.com/mcp', token });
    const [a, b] = replicas.map((r) => `http://127.0.0.1:${r.port}/mcp`) as [string, string];
    assert.equal((await call(a, `DPoP ${token}`, proof)).status, 200);
    assertProofRefused(await call(b, `DPoP ${token}`, proof), 'the same proof at the second replica');
  });
});
