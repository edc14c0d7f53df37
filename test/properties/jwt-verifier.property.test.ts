import assert from 'node:assert/strict';
import { createHmac, createPublicKey, generateKeyPairSync, sign as rsaSign, type KeyObject } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { base64url, SignJWT } from 'jose';
import { jwt } from '../../src/resource/jwt.js';
import { InvalidTokenError, type TokenVerifier } from '../../src/resource/verifier.js';
import { TestIssuer } from '../helpers/issuer.js';
import { postMcp, startServer, type TestServer } from '../helpers/server.js';

// Show the assertion that failed, not only the counterexample.
fc.configureGlobal({ ...fc.readConfigureGlobal(), includeErrorInReport: true });

/**
 * The JWT verifier and the protected endpoint fed mutated tokens (checklist §2.2 R2, R3): flipped, inserted
 * and deleted characters in any segment, re-encoded headers (alg none/HS256/unknown, kid, crit, typ, embedded
 * keys) and payloads (aud, iss, exp, nbf, scope) under the old signature, re-signatures with the wrong key,
 * truncation, extra segments and huge lengths. Never an acceptance, never a 5xx, always `InvalidTokenError`.
 */

// ---------------------------------------------------------------------------------------------------------
// Token surgery

const enc = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const dec = (segment: string) => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;

interface Keys {
  /** The issuer's public key as PEM: the classic HS256 algorithm-confusion secret. */
  publicPem: string;
  /** A key pair nobody trusts, for re-signing with the issuer's kid. */
  foreign: { privateKey: KeyObject; jwk: Record<string, unknown> };
}

type Mutation = { name: string; apply: (token: string, keys: Keys) => string };
/** fast-check prints a counterexample with this (the name, not the function source). */
const named = (m: Mutation): Mutation => Object.assign(m, { [fc.toStringMethod]: () => `«${m.name}»` });

const B64URL_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ODD_CHARS = ['.', '=', '+', '/', '~', ' ', '\t', '%', '"', '\\', 'é', '\u0000', '\n', '\u2028'];
const tokenChar = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...B64URL_CHARS.split('')) }, { weight: 1, arbitrary: fc.constantFrom(...ODD_CHARS) });

/** Edit one segment (or the whole token when `segment` is undefined). */
function editSegment(token: string, segment: number | undefined, edit: (s: string) => string): string {
  if (segment === undefined) return edit(token);
  const parts = token.split('.');
  parts[segment] = edit(parts[segment] ?? '');
  return parts.join('.');
}
const at = (s: string, i: number) => (s.length === 0 ? 0 : i % s.length);

const characterMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.option(fc.constantFrom(0, 1, 2), { nil: undefined }), fc.nat(), tokenChar).map(([seg, i, c]) => ({
    name: `insert ${JSON.stringify(c)} in segment ${seg ?? '*'} at ${i}`,
    apply: (t: string) => editSegment(t, seg, (s) => s.slice(0, at(s, i)) + c + s.slice(at(s, i))),
  })),
  fc.tuple(fc.option(fc.constantFrom(0, 1, 2), { nil: undefined }), fc.nat()).map(([seg, i]) => ({
    name: `delete in segment ${seg ?? '*'} at ${i}`,
    apply: (t: string) => editSegment(t, seg, (s) => s.slice(0, at(s, i)) + s.slice(at(s, i) + 1)),
  })),
  fc.tuple(fc.option(fc.constantFrom(0, 1, 2), { nil: undefined }), fc.nat(), tokenChar).map(([seg, i, c]) => ({
    name: `replace in segment ${seg ?? '*'} at ${i} with ${JSON.stringify(c)}`,
    apply: (t: string) => editSegment(t, seg, (s) => s.slice(0, at(s, i)) + c + s.slice(at(s, i) + 1)),
  })),
  fc.tuple(fc.constantFrom(0, 1, 2), fc.nat()).map(([seg, i]) => ({
    name: `flip a bit of a decoded byte in segment ${seg} at ${i}`,
    apply: (t: string) =>
      editSegment(t, seg, (s) => {
        const bytes = Buffer.from(s, 'base64url');
        if (bytes.length === 0) return s;
        bytes[i % bytes.length]! ^= 1 << (i % 8);
        return bytes.toString('base64url');
      }),
  })),
);

type Json = Record<string, unknown>;
const headerEdit: fc.Arbitrary<{ name: string; edit: (h: Json, keys: Keys) => Json }> = fc.oneof(
  fc.constantFrom('none', 'None', 'NONE', 'HS256', 'HS512', 'RS512', 'PS256', 'ES256', 'EdDSA', 'Ed25519', 'RSA-OAEP', 'unknown', '', null, 256).map((alg) => ({
    name: `alg ${JSON.stringify(alg)}`,
    edit: (h: Json) => ({ ...h, alg }),
  })),
  fc.oneof(fc.string(), fc.constantFrom('', '../../../etc/passwd', 'null', '*', null, 0, ['x'])).map((kid) => ({
    name: `kid ${JSON.stringify(kid)}`,
    edit: (h: Json) => ({ ...h, kid }),
  })),
  fc.constant({ name: 'kid removed', edit: (h: Json) => Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'kid')) }),
  fc
    .constantFrom<[unknown, Json]>([['exp'], {}], [['x-custom'], { 'x-custom': 1 }], [[], {}], ['b64', {}], [['b64'], { b64: false }], [[''], {}], [[1], {}])
    .map(([crit, extra]) => ({
      name: `crit ${JSON.stringify(crit)}`,
      edit: (h: Json) => ({ ...h, crit, ...extra }),
    })),
  fc.constantFrom('JWT', 'jwt', 'id+jwt', 'JOSE', 'at+jwt ', 'application/at+jwt', '', null, 1).map((typ) => ({
    name: `typ ${JSON.stringify(typ)}`,
    edit: (h: Json) => ({ ...h, typ }),
  })),
  fc.constantFrom('jwk', 'jku', 'x5u', 'x5c').map((param) => ({
    name: `embedded ${param}`,
    edit: (h: Json, keys: Keys) => ({
      ...h,
      [param]: param === 'jwk' ? keys.foreign.jwk : param === 'x5c' ? ['MIIB'] : 'http://127.0.0.1:1/jwks',
    }),
  })),
  fc.constant({ name: 'header is not an object', edit: () => ['RS256'] as unknown as Json }),
  fc.constant({
    name: '__proto__ in header',
    edit: (h: Json) => {
      const withProto = JSON.parse('{"__proto__":{"alg":"none","crit":["x"]}}') as Json; // an own "__proto__" key
      for (const [k, v] of Object.entries(h ?? {})) withProto[k] = v;
      return withProto;
    },
  }),
);

const farFuture = 4102444800; // 2100
const payloadEdit: fc.Arbitrary<{ name: string; edit: (p: Json) => Json }> = fc.oneof(
  fc
    .constantFrom('http://evil.example/mcp', ['http://evil.example/mcp'], [], null, 7)
    .map((aud) => ({ name: `aud ${JSON.stringify(aud)}`, edit: (p: Json) => ({ ...p, aud }) })),
  fc.constant({ name: 'aud added', edit: (p: Json) => ({ ...p, aud: [p['aud'], 'http://evil.example/mcp'] }) }),
  fc
    .constantFrom('https://evil.example', 'http://127.0.0.1:1', null, 1)
    .map((iss) => ({ name: `iss ${JSON.stringify(iss)}`, edit: (p: Json) => ({ ...p, iss }) })),
  fc.constant({ name: 'iss with a trailing slash', edit: (p: Json) => ({ ...p, iss: `${String(p['iss'])}/` }) }),
  fc.constantFrom(1, -1, 0, farFuture, '9999999999', null, 1e300).map((exp) => ({ name: `exp ${JSON.stringify(exp)}`, edit: (p: Json) => ({ ...p, exp }) })),
  fc.constant({ name: 'exp removed', edit: (p: Json) => Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'exp')) }),
  fc.constantFrom(farFuture, '0', -1).map((nbf) => ({ name: `nbf ${JSON.stringify(nbf)}`, edit: (p: Json) => ({ ...p, nbf }) })),
  fc
    .constantFrom('admin read:whoami', ['admin'], 'toString', '', 12)
    .map((scope) => ({ name: `scope ${JSON.stringify(scope)}`, edit: (p: Json) => ({ ...p, scope }) })),
  fc.constantFrom('other-user', '', null).map((sub) => ({ name: `sub ${JSON.stringify(sub)}`, edit: (p: Json) => ({ ...p, sub }) })),
  fc.constant({ name: 'nonce (ID token look)', edit: (p: Json) => ({ ...p, nonce: 'n' }) }),
  fc.constant({ name: 'payload is an array', edit: () => [1] as unknown as Json }),
  fc.integer({ min: 1, max: 200_000 }).map((n) => ({ name: `padding claim of ${n}`, edit: (p: Json) => ({ ...p, pad: 'x'.repeat(n) }) })),
);

/** How a re-encoded token is signed: the old signature, none, or a signature from a key the server does not trust. */
const signing = fc.constantFrom('old', 'empty', 'hmac-with-public-key', 'foreign-key', 'old-truncated');
function signatureFor(kind: string, signingInput: string, old: string, keys: Keys): string {
  switch (kind) {
    case 'empty':
      return '';
    case 'hmac-with-public-key':
      return createHmac('sha256', keys.publicPem).update(signingInput).digest('base64url');
    case 'foreign-key':
      return rsaSign('sha256', Buffer.from(signingInput), keys.foreign.privateKey).toString('base64url');
    case 'old-truncated':
      return old.slice(0, Math.floor(old.length / 2));
    default:
      return old;
  }
}

const reencodeMutation: fc.Arbitrary<Mutation> = fc
  .tuple(fc.array(headerEdit, { maxLength: 2 }), fc.array(payloadEdit, { maxLength: 2 }), signing)
  .filter(([h, p, s]) => h.length + p.length > 0 || s !== 'old')
  .map(([hEdits, pEdits, sig]) => ({
    name: `re-encoded: ${[...hEdits.map((e) => e.name), ...pEdits.map((e) => e.name)].join(', ')}; signature ${sig}`,
    apply: (t: string, keys: Keys) => {
      const [h, p, s] = t.split('.') as [string, string, string];
      const header = hEdits.reduce((acc, e) => e.edit(acc, keys), dec(h));
      const payload = pEdits.reduce((acc, e) => e.edit(acc), dec(p));
      const input = `${hEdits.length ? enc(header) : h}.${pEdits.length ? enc(payload) : p}`;
      return `${input}.${signatureFor(sig, input, s, keys)}`;
    },
  }));

const structuralMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((n) => ({ name: `truncated to ${n}`, apply: (t: string) => t.slice(0, n % t.length) })),
  fc.constantFrom<Mutation>(
    { name: 'extra segment', apply: (t) => `${t}.${t.split('.')[2]}` },
    { name: 'trailing dot', apply: (t) => `${t}.` },
    { name: 'leading dot', apply: (t) => `.${t}` },
    { name: 'two segments', apply: (t) => t.split('.').slice(0, 2).join('.') },
    { name: 'JWE-shaped (5 segments)', apply: (t) => `${t}.AAAA.BBBB` },
    { name: 'doubled', apply: (t) => `${t}${t}` },
    {
      name: 'segments swapped',
      apply: (t) => {
        const [h, p, s] = t.split('.');
        return `${p}.${h}.${s}`;
      },
    },
    { name: 'base64 instead of base64url', apply: (t) => t.replace(/-/g, '+').replace(/_/g, '/') },
    {
      name: 'padding added to every segment',
      apply: (t) =>
        t
          .split('.')
          .map((s) => `${s}${'='.repeat((4 - (s.length % 4)) % 4)}`)
          .join('.'),
    },
    { name: 'percent-encoded', apply: (t) => encodeURIComponent(t).replace(/\./g, '%2E') },
    { name: 'lower-cased', apply: (t) => t.toLowerCase() },
    { name: 'empty', apply: () => '' },
    { name: 'only dots', apply: () => '..' },
  ),
  fc.constantFrom(1_000, 9_000, 20_000, 200_000).map((n) => ({ name: `signature grown by ${n}`, apply: (t: string) => `${t}${'A'.repeat(n)}` })),
  fc.constantFrom(1_000, 20_000).map((n) => ({ name: `header padded by ${n}`, apply: (t: string) => `${'A'.repeat(n)}${t}` })),
);

const mutationArb: fc.Arbitrary<Mutation> = fc
  .oneof(
    { weight: 3, arbitrary: characterMutation },
    { weight: 3, arbitrary: reencodeMutation },
    { weight: 2, arbitrary: structuralMutation },
    {
      weight: 1,
      arbitrary: fc
        .array(characterMutation, { minLength: 2, maxLength: 4 })
        .map((ms) => ({ name: ms.map((m) => m.name).join(' then '), apply: (t: string, k: Keys) => ms.reduce((acc, m) => m.apply(acc, k), t) })),
    },
  )
  .map(named);

/**
 * The only acceptable acceptance: a string that is the same token (same header and payload text, same signature
 * bytes; a few base64url spellings decode alike, see the report).
 */
function sameToken(original: string, candidate: string): boolean {
  const a = original.split('.');
  const b = candidate.split('.');
  if (b.length !== 3 || a[0] !== b[0] || a[1] !== b[1]) return false;
  try {
    return Buffer.from(base64url.decode(a[2]!)).equals(Buffer.from(base64url.decode(b[2]!)));
  } catch {
    return false;
  }
}

/** RFC 6750 §2.1 b64token: what the gate reads as a token at all (else 400 invalid_request). */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** Node's default limit on the request head; beyond it the server answers 431 before the application runs. */
const HEAD_LIMIT = 16 * 1024;

// ---------------------------------------------------------------------------------------------------------

describe('JWT verifier fed mutated tokens (property)', () => {
  let issuer: TestIssuer;
  let server: TestServer;
  let verifier: TokenVerifier;
  let token: string;
  let keys: Keys;

  before(async () => {
    issuer = await TestIssuer.start();
    server = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), { issuer: issuer.url });
    verifier = jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri });
    token = await issuer.token(server.urls.resource);
    const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keys = {
      publicPem: createPublicKey({ key: issuer.keys[0]!.publicJwk as never, format: 'jwk' })
        .export({ type: 'spki', format: 'pem' })
        .toString(),
      foreign: { privateKey: foreign.privateKey, jwk: { ...foreign.publicKey.export({ format: 'jwk' }), kid: issuer.keys[0]!.kid, alg: 'RS256' } },
    };
    // The baseline: the unmutated token works, directly and over HTTP.
    assert.equal((await verifier.verify(token)).subject, 'user-1');
    assert.equal((await postMcp(server.urls.resource, token)).status, 200);
  });
  after(async () => {
    await server?.close();
    await issuer?.close();
  });

  it('the verifier rejects every mutation with InvalidTokenError, and only ever accepts the same token', async () => {
    await fc.assert(
      fc.asyncProperty(mutationArb, async (mutation) => {
        const mutated = mutation.apply(token, keys);
        if (mutated === token) return;
        let outcome: unknown;
        try {
          outcome = await verifier.verify(mutated);
        } catch (error) {
          assert.ok(error instanceof InvalidTokenError, `${mutation.name}: ${String(error)} (${(error as Error)?.constructor?.name})`);
          return;
        }
        assert.ok(sameToken(token, mutated), `${mutation.name}: ACCEPTED ${JSON.stringify(outcome).slice(0, 200)}`);
      }),
      { numRuns: 200 },
    );
  });

  it('POST /mcp answers 401 (400 for a malformed header, 431 for an oversized one): never 2xx, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(mutationArb, async (mutation) => {
        const mutated = mutation.apply(token, keys);
        if (mutated === token) return;
        try {
          new Headers({ authorization: `Bearer ${mutated}` });
        } catch {
          return; // not sendable as an HTTP header at all (NUL, CR/LF, non-Latin-1): the verifier property covers it
        }
        const response = await postMcp(server.urls.resource, mutated);
        const body = await response.text();
        const label = `${mutation.name}: ${response.status} ${body.slice(0, 160)}`;
        assert.ok(response.status < 500, label);
        if (response.status === 431) {
          assert.ok(mutated.length > HEAD_LIMIT / 2, label);
          return;
        }
        const sent = mutated.replace(/^[ \t]+|[ \t]+$/g, ''); // what fetch sends: surrounding HTTP whitespace trimmed
        if (response.status === 200) {
          assert.ok(sameToken(token, sent), `ACCEPTED ${label}`);
          return;
        }
        if (B64TOKEN.test(sent)) {
          assert.equal(response.status, 401, label);
          assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/, label);
        } else {
          assert.equal(response.status, 400, label);
          assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_request"/, label);
        }
      }),
      { numRuns: 150 },
    );
    // Still serving: the genuine token works and a fresh one too.
    assert.equal((await postMcp(server.urls.resource, token)).status, 200);
    assert.equal((await postMcp(server.urls.resource, await issuer.token(server.urls.resource))).status, 200);
  });

  // Correctly signed tokens (the issuer's own key) with odd claims or header values: the gate's policy checks and
  // claim parsing must refuse them as 401/403, never fail with a 5xx, and accept only tokens that are valid.

  const now = () => Math.floor(Date.now() / 1000);
  const claimValue = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.object({ maxDepth: 1 }),
  );
  const relative = fc.integer({ min: -3600, max: 3600 }).map((d) => ({ relative: d }));
  const claims = fc.record(
    {
      iss: fc.oneof(fc.constant('ISSUER'), claimValue),
      aud: fc.oneof(fc.constant('RESOURCE'), fc.constant(['RESOURCE', 'http://other.example']), claimValue),
      sub: fc.oneof(fc.constant('user-1'), claimValue),
      exp: fc.oneof(relative, claimValue),
      nbf: fc.oneof(relative, claimValue),
      iat: fc.oneof(relative, claimValue),
      scope: fc.oneof(fc.constantFrom('read:whoami', 'toString', 'constructor read:whoami', '__proto__', 'valueOf'), claimValue),
      scp: claimValue,
      client_id: claimValue,
      email: claimValue,
    },
    { requiredKeys: [] },
  );
  const VALID = { iss: 'ISSUER', aud: 'RESOURCE', sub: 'user-1', exp: { relative: 300 }, scope: 'read:whoami' };
  const header = fc.record(
    {
      typ: fc.oneof(fc.constantFrom('at+jwt', 'JWT', 'application/at+jwt'), claimValue),
      extra: fc.dictionary(fc.string({ maxLength: 5 }), claimValue, { maxKeys: 2 }),
    },
    { requiredKeys: [] },
  );

  /** Sign with the issuer's key and POST /mcp; checks "never 5xx" and "accepted only when valid". */
  async function sendSigned(c: Record<string, unknown>, h: { typ?: unknown; extra?: Record<string, unknown> }): Promise<void> {
    const resolve = (v: unknown): unknown =>
      v === 'ISSUER'
        ? issuer.url
        : v === 'RESOURCE'
          ? server.urls.resource
          : Array.isArray(v)
            ? v.map(resolve)
            : v && typeof v === 'object' && 'relative' in v
              ? now() + (v as { relative: number }).relative
              : v;
    const payload = Object.fromEntries(Object.entries(c).map(([k, v]) => [k, resolve(v)]));
    const protectedHeader = { ...(h.extra ?? {}), alg: 'RS256', kid: issuer.keys[0]!.kid, ...('typ' in h && { typ: h.typ }) };
    let signed: string;
    try {
      signed = await new SignJWT(payload).setProtectedHeader(protectedHeader as never).sign(issuer.keys[0]!.privateKey);
    } catch {
      return; // jose refuses to produce it (e.g. a crit it does not know): nothing to send
    }
    const response = await postMcp(server.urls.resource, signed);
    const text = await response.text();
    const label = `${JSON.stringify(payload).slice(0, 300)} ${JSON.stringify(protectedHeader).slice(0, 120)} → ${response.status} ${text.slice(0, 120)}`;
    assert.ok(response.status < 500, label);
    if (response.status === 200) {
      assert.equal(payload['iss'], issuer.url, label);
      assert.ok(typeof payload['sub'] === 'string' && payload['sub'].length > 0, label);
      assert.ok(typeof payload['exp'] === 'number' && payload['exp'] > now() - 60, label);
      const aud = payload['aud'];
      assert.ok(aud === server.urls.resource || (Array.isArray(aud) && aud.includes(server.urls.resource)), label);
    }
  }

  /*
   * PRODUCT BUG: a correctly signed token whose scope claim holds "toString" (or "constructor", "__proto__",
   * "valueOf"…) gets 500: src/resource/scopes.ts expandScopes indexes the plain-object hierarchy with the scope
   * name and iterates Object.prototype members (see scopes.property.test.ts for the fix).
   * Shrunk counterexample: { iss, aud, sub: "user-1", exp: now, scope: "toString" } → 500 server_error.
   */
  it('correctly signed tokens with arbitrary claims: never a 5xx, accepted only when valid', async () => {
    await fc.assert(
      fc.asyncProperty(claims, async (c) => sendSigned(c, { typ: 'at+jwt' })),
      { numRuns: 80, examples: [[{ ...VALID, scope: 'toString' }]] },
    );
    assert.equal((await postMcp(server.urls.resource, token)).status, 200, 'still serving');
  });

  /*
   * PRODUCT BUG: a correctly signed token whose header `typ` is not a string gets 503 temporarily_unavailable
   * (a retry invitation) instead of 401: src/resource/jwt.ts rejectNonAccessTokens calls `typ?.toLowerCase()`, the
   * TypeError reaches translateError, which reads every TypeError as a JWKS network failure
   * (VerifierUnavailableError). Fix: `const type = typeof typ === 'string' ? typ.toLowerCase() : undefined` (and
   * refuse a non-string typ as invalid); and map only errors from the JWKS fetch to "unavailable" (e.g. catch
   * around the key resolver), so that any other unexpected error in verification becomes a 401.
   * Shrunk counterexample: header { alg: "RS256", kid, typ: 0 } (any non-string typ) with valid claims → 503.
   */
  it('correctly signed tokens with arbitrary header values: never a 5xx, accepted only when valid', async () => {
    await fc.assert(
      fc.asyncProperty(header, fc.oneof(fc.constant(VALID), claims), async (h, c) => sendSigned(c, h)),
      { numRuns: 80, examples: [[{ typ: 0 }, VALID]] },
    );
    assert.equal((await postMcp(server.urls.resource, token)).status, 200, 'still serving');
  });
});
