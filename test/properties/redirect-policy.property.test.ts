import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { checkRedirectUri, checkRedirectUris, compilePattern, redirectMatches, type RedirectPolicy } from '../../src/authserver/clients/redirect-policy.js';
import { PRESETS } from '../../src/authserver/clients/presets.js';
import { startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { authorizationUrl } from '../helpers/authorize.js';

// Show the assertion that failed, not only the counterexample.
fc.configureGlobal({ ...fc.readConfigureGlobal(), includeErrorInReport: true });

/**
 * Properties of the redirect-URI policy (checklist §2 A1, A3): exact matching with loopback port
 * flexibility only, mutations of a registered URI never matching, always-refused URI forms whatever the
 * policy, and allowlist mode never accepting anything outside its patterns. The last block checks the same
 * matching rule at the real authorization endpoint of an embedded server.
 *
 * These extend test/authserver/redirect-policy.test.ts (hand-written cases plus random strings against an
 * oracle) with generated *accepted* URIs and their near misses.
 */

const ANY: RedirectPolicy = { mode: 'any-safe' };
const TYPES = [undefined, 'web', 'native'] as const;

// ---------------------------------------------------------------------------------------------------------
// Generators of accepted URIs

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,6}[a-z0-9])?$/);
const domain = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.constantFrom('com', 'test', 'example', 'ai', 'dev'))
  .map(([labels, tld]) => [...labels, tld].join('.'))
  .filter((host) => !/^\d+(\.\d+)*$/.test(host) && !host.startsWith('localhost'));
const pathChar = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~'.split('')) },
  { weight: 1, arbitrary: fc.constantFrom('%2F', '%20', '%25', '%3F', '%23', '%C3%A9', '@', ':', '!', '$', "'", '(', ')', '*', '+', ',', ';', '=') },
);
const segment = fc.array(pathChar, { minLength: 1, maxLength: 8 }).map((cs) => cs.join(''));
const path = fc.array(segment, { maxLength: 3 }).map((segs) => `/${segs.join('/')}`);
const query = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.array(fc.tuple(segment, segment), { minLength: 1, maxLength: 2 }).map((kv) => `?${kv.map(([k, v]) => `${k}=${v}`).join('&')}`) },
);
const port = fc.oneof(
  fc.constant(''),
  fc.integer({ min: 1, max: 65535 }).map((p) => `:${p}`),
);
const loopbackHost = fc.oneof(
  fc.constantFrom('localhost', '127.0.0.1', '[::1]'),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)).map(([a, b, c]) => `127.${a}.${b}.${c}`),
);

const httpsUri = fc.tuple(domain, port, path, query).map(([h, p, pa, q]) => `https://${h}${p}${pa}${q}`);
const loopbackUri = fc.tuple(loopbackHost, port, path, query).map(([h, p, pa, q]) => `http://${h}${p}${pa}${q}`);
const customUri = fc.oneof(
  fc
    .tuple(fc.constantFrom('com.example.app', 'dev.gatehouse.test', 'io.github.x'), fc.constantFrom(':', ':/', '://host'), path)
    .map(([s, sep, pa]) => `${s}${sep}${pa.slice(sep.endsWith('/') ? 1 : 0)}`),
  fc.constant('cursor://anysphere.cursor-mcp/oauth/callback'),
);
/** URIs the always-rules accept (the generators aim for canonical forms; the filter drops the odd miss). */
const acceptedUri = fc.oneof(httpsUri, loopbackUri, customUri).filter((u) => checkRedirectUri(u, ANY).ok);

// ---------------------------------------------------------------------------------------------------------
// Mutations

const INSERTABLE = [...'abcXYZ019/.-_~%?#@:;=&+ \t\\'.split(''), '\n', '\u0000', '%2e', '%2F', 'é', '\u0430'];

type Mutation = (uri: string) => string;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.constantFrom(...INSERTABLE)).map(
    ([i, c]): Mutation =>
      (u) => {
        const at = i % (u.length + 1);
        return u.slice(0, at) + c + u.slice(at);
      },
  ),
  fc.nat().map(
    (i): Mutation =>
      (u) => {
        const at = i % u.length;
        return u.slice(0, at) + u.slice(at + 1);
      },
  ),
  fc.tuple(fc.nat(), fc.constantFrom(...INSERTABLE)).map(
    ([i, c]): Mutation =>
      (u) => {
        const at = i % u.length;
        return u.slice(0, at) + c + u.slice(at + 1);
      },
  ),
  fc.nat().map(
    (i): Mutation =>
      (u) => {
        const at = i % u.length;
        const ch = u[at]!;
        const flipped = ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase();
        return u.slice(0, at) + flipped + u.slice(at + 1);
      },
  ),
  fc.nat().map(
    (i): Mutation =>
      (u) => {
        const at = i % u.length;
        return `${u.slice(0, at)}%${u.charCodeAt(at).toString(16).toUpperCase().padStart(2, '0')}${u.slice(at + 1)}`;
      },
  ),
  fc.constantFrom<Mutation>(
    (u) => `${u}/`,
    (u) => (u.endsWith('/') ? u.slice(0, -1) : `${u}/`),
    (u) => `${u}${u.includes('?') ? '&' : '?'}x=1`,
    (u) => `${u}?`,
    (u) => `${u}#`,
    (u) => `${u}#f`,
    (u) => `${u}/../x`,
    (u) => `${u}/.`,
    (u) => u.replace('://', '://user@'),
    (u) => u.replace('://', '://user:pw@'),
    (u) => u.replace(/^(\w+:\/\/)([^/?#]*)/, '$1$2.evil.example'),
    (u) => u.replace(/^(\w+:\/\/)([^/?#]*)/, '$1$2@evil.example'),
    (u) => u.replace(/^(\w+:\/\/)/, '$1evil.'),
    (u) => u.replace(/^https:/, 'http:'),
    (u) => u.replace(/^http:/, 'https:'),
    (u) => u.toUpperCase(),
    (u) => ` ${u}`,
    (u) => `${u}\t`,
    (u) => u.replace('127.0.0.1', 'localhost'),
    (u) => u.replace('localhost', '127.0.0.1'),
    (u) => u.replace('[::1]', '127.0.0.1'),
    (u) => u.replace(/\/\/([^/?#:]+)/, '//$1:'),
  ),
  // Another port (the one change that keeps matching, for loopback http only).
  fc.integer({ min: 1, max: 65535 }).map(
    (p): Mutation =>
      (u) =>
        withPort(u, String(p)) ?? u,
  ),
  fc.constant<Mutation>((u) => withPort(u, '') ?? u),
);

/** The same URI with another port, as the URL parser writes it; undefined when it has no authority. */
function withPort(uri: string, port: string): string | undefined {
  try {
    const url = new URL(uri);
    if (url.host === '') return undefined;
    url.port = port;
    return url.href;
  } catch {
    return undefined;
  }
}

const isLoopbackName = (host: string) => host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
function isLoopbackHttp(uri: string): boolean {
  const url = URL.parse(uri);
  return url !== null && url.protocol === 'http:' && isLoopbackName(url.hostname);
}

/**
 * The oracle: `requested` may match `registered` only when it is the very same string, or, for a loopback http
 * registration, that string with only its port changed (written canonically).
 */
function mayMatch(registered: string, requested: string): boolean {
  if (requested === registered) return true;
  if (!isLoopbackHttp(registered)) return false;
  const url = URL.parse(requested);
  return url !== null && withPort(registered, url.port) === requested;
}

// ---------------------------------------------------------------------------------------------------------

describe('redirectMatches (property)', () => {
  /*
   * PRODUCT BUG (minor; src/authserver/clients/redirect-policy.ts `loopbackParts`): the comparison key is built
   * from `url.search`, which is '' both for no query and for an empty one, so `http://localhost:1/?` matches a
   * registered `http://localhost:1/`: not the exact string, and not only the port changed. (The authorization
   * endpoint itself uses oidc-provider's string-based rule and refuses it; redirectMatches is exported but
   * unused.) Fix: key on the canonical href with the port cleared (`url.port = ''; return url.href`).
   * Shrunk counterexample: registered "http://localhost:1/", requested "http://localhost:1/?".
   */
  it('matches only the registered string, or for loopback http that URI with another port', () => {
    fc.assert(
      fc.property(acceptedUri, fc.array(mutation, { minLength: 1, maxLength: 3 }), (registered, mutations) => {
        const requested = mutations.reduce((u, m) => m(u), registered);
        assert.equal(redirectMatches(registered, requested), mayMatch(registered, requested), `${registered} vs ${JSON.stringify(requested)}`);
      }),
      { numRuns: 2000, examples: [['http://localhost:1/', [(u: string) => `${u}?`]]] },
    );
  });

  it('any single mutation that changes the URI (other than its loopback port) never matches', () => {
    fc.assert(
      fc.property(acceptedUri, mutation, (registered, mutate) => {
        const requested = mutate(registered);
        if (requested === registered) return;
        if (redirectMatches(registered, requested)) {
          assert.ok(isLoopbackHttp(registered), `${registered} matched ${JSON.stringify(requested)}`);
          const a = new URL(registered);
          const b = new URL(requested);
          assert.equal(b.href, requested, 'only canonical requests match');
          assert.deepEqual(
            [b.protocol, b.hostname, b.pathname, b.search, b.hash, b.username, b.password],
            [a.protocol, a.hostname, a.pathname, a.search, '', '', ''],
          );
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a loopback http registration matches itself on every port; nothing else matches on another port', () => {
    fc.assert(
      fc.property(acceptedUri, fc.integer({ min: 1, max: 65535 }), (registered, p) => {
        assert.equal(redirectMatches(registered, registered), true);
        const moved = withPort(registered, String(p));
        if (moved === undefined || moved === registered) return;
        assert.equal(redirectMatches(registered, moved), isLoopbackHttp(registered), `${registered} → ${moved}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('is symmetric between accepted URIs', () => {
    fc.assert(
      fc.property(acceptedUri, mutation, (a, mutate) => {
        const b = mutate(a);
        if (!checkRedirectUri(b, ANY).ok) return;
        assert.equal(redirectMatches(a, b), redirectMatches(b, a));
      }),
      { numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Always-refused URIs, whatever the policy

const FORBIDDEN = ['javascript', 'data', 'file', 'vbscript', 'blob', 'about'];
const randomCase = (s: string, bits: number) => [...s].map((c, i) => ((bits >> i) & 1 ? c.toUpperCase() : c)).join('');
const forbiddenScheme = fc
  .tuple(
    fc.constantFrom(...FORBIDDEN),
    fc.nat(),
    fc.constantFrom(':', '://', ':/', '://claude.ai/'),
    fc.constantFrom('alert(1)', 'text/html,<script>x</script>', '/etc/passwd', 'https://claude.ai/x', 'cb', '%0aalert(1)'),
  )
  .map(([s, bits, sep, rest]) => `${randomCase(s, bits)}${sep}${rest}`);
const withFragment = fc.tuple(acceptedUri, fc.constantFrom('#', '#f', '#/cb', '#access_token=x')).map(([u, f]) => `${u}${f}`);
const nonLoopbackHost = fc.oneof(
  domain,
  fc
    .tuple(
      fc.integer({ min: 1, max: 255 }).filter((a) => a !== 127),
      fc.nat(255),
      fc.nat(255),
      fc.nat(255),
    )
    .map((o) => o.join('.')),
  fc.constantFrom('[::2]', '[::ffff:127.0.0.1]', '0.0.0.0', 'localhost.evil.com', '127.0.0.1.nip.io', 'evil-localhost', '[fe80::1]'),
);
const plainHttp = fc.tuple(nonLoopbackHost, port, path, query).map(([h, p, pa, q]) => `http://${h}${p}${pa}${q}`);
const withUserinfo = fc
  .tuple(
    acceptedUri.filter((u) => u.includes('://')),
    fc.constantFrom('user@', 'user:pw@', '@', 'a:@'),
  )
  .map(([u, info]) => u.replace('://', `://${info}`));
const alwaysRefused = fc.oneof(forbiddenScheme, withFragment, plainHttp, withUserinfo);

const presetSubset = fc.option(fc.subarray(PRESETS.map((p) => p.name)), { nil: undefined });
/** Policies, including hostile ones: the URI itself as an allowlist pattern, its scheme as a custom scheme. */
function policyFor(uri: string): fc.Arbitrary<RedirectPolicy> {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1] ?? '';
  return fc.oneof(
    fc.constant<RedirectPolicy>(ANY),
    fc.constant<RedirectPolicy>({ mode: 'any-safe', customSchemes: [scheme, scheme.toLowerCase()] }),
    presetSubset.map((presets): RedirectPolicy => ({ mode: 'allowlist', ...(presets && { presets }) })),
    presetSubset.map((presets): RedirectPolicy => ({ mode: 'allowlist', ...(presets && { presets }), patterns: [uri], customSchemes: [scheme] })),
  );
}

/** Accepted, or refused loudly as a configuration error (a malformed pattern or preset): never silently. */
function outcome(run: () => { ok: boolean }): 'accepted' | 'refused' {
  try {
    return run().ok ? 'accepted' : 'refused';
  } catch (error) {
    assert.match(String(error), /invalid redirect URI pattern|unknown client preset/);
    return 'refused';
  }
}

describe('always-refused redirect URIs (property)', () => {
  it('javascript:/data:/file:/… schemes, fragments, userinfo and non-loopback http are refused whatever the policy and type', () => {
    fc.assert(
      fc.property(
        alwaysRefused.chain((uri) => fc.tuple(fc.constant(uri), policyFor(uri), fc.constantFrom(...TYPES), acceptedUri)),
        ([uri, policy, type, good]) => {
          assert.equal(
            outcome(() => checkRedirectUri(uri, policy, type)),
            'refused',
            `${uri} ${JSON.stringify(policy)} ${type}`,
          );
          assert.equal(
            outcome(() => checkRedirectUris([good, uri], type, policy)),
            'refused',
          );
          assert.equal(
            outcome(() => checkRedirectUris([uri, good], type, policy)),
            'refused',
          );
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('no single mutation of an accepted URI turns it into something the always-rules forbid yet accept', () => {
    fc.assert(
      fc.property(acceptedUri, mutation, fc.constantFrom(...TYPES), (uri, mutate, type) => {
        const m = mutate(uri);
        if (!checkRedirectUri(m, ANY, type).ok) return;
        const url = new URL(m);
        assert.equal(url.href, m, 'canonical');
        assert.ok(!m.includes('#') && !url.username && !url.password, m);
        assert.ok(!FORBIDDEN.includes(url.protocol.slice(0, -1)), m);
        if (url.protocol === 'http:') assert.ok(isLoopbackName(url.hostname), m);
        if (type === 'web') assert.equal(url.protocol, 'https:', m);
      }),
      { numRuns: 1500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Allowlist mode

/** An independent reading of the three pattern forms as anchored regular expressions. */
function patternRegExp(pattern: string): RegExp {
  const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const loopback = /^(http:\/\/(?:[^/:?]+|\[::1\])):\*(\/[^*]*)?$/.exec(pattern);
  if (loopback) return new RegExp(`^${escapeRegExp(loopback[1]!)}(?::\\d{1,5})?${escapeRegExp(loopback[2] ?? '/')}$`);
  if (pattern.endsWith('/*')) return new RegExp(`^${escapeRegExp(pattern.slice(0, -1))}[A-Za-z0-9_-]{1,128}$`);
  return new RegExp(`^${escapeRegExp(pattern)}$`);
}

const callbackId = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
const operatorPattern = fc
  .oneof(
    httpsUri.filter((u) => checkRedirectUri(u, ANY).ok),
    fc.tuple(fc.constantFrom('localhost', '127.0.0.1', '[::1]'), path, query).map(([h, pa, q]) => `http://${h}:*${pa}${q}`),
    fc.tuple(domain, path).map(([h, pa]) => `https://${h}${pa === '/' ? '' : pa}/*`),
    fc.constantFrom('myapp:/done', 'com.example.app:/cb'),
  )
  .filter((p) => {
    try {
      compilePattern(p);
      return true;
    } catch {
      return false;
    }
  });

/** A concrete URI a pattern is meant to match. */
function concretize(pattern: string, p: number, id: string): string {
  if (pattern.includes(':*')) return pattern.replace(':*', p % 2 ? `:${p}` : '');
  if (pattern.endsWith('/*')) return `${pattern.slice(0, -1)}${id}`;
  return pattern;
}

const allowlistPolicy = fc
  .tuple(presetSubset, fc.array(operatorPattern, { maxLength: 3 }))
  .map(([presets, patterns]): RedirectPolicy => ({ mode: 'allowlist', ...(presets && { presets }), patterns }));

function patternsOf(policy: RedirectPolicy): string[] {
  const presets = policy.presets ? PRESETS.filter((p) => policy.presets!.includes(p.name)) : PRESETS;
  return [...presets.flatMap((p) => p.redirectUris), ...(policy.patterns ?? [])];
}

describe('allowlist mode (property)', () => {
  const candidate = (policy: RedirectPolicy) => {
    const patterns = patternsOf(policy);
    if (patterns.length === 0) return acceptedUri;
    const near = fc
      .tuple(fc.constantFrom(...patterns), fc.integer({ min: 1, max: 65535 }), callbackId, fc.array(mutation, { maxLength: 2 }))
      .map(([pattern, p, id, ms]) => ms.reduce((u, m) => m(u), concretize(pattern, p, id)));
    return fc.oneof(near, acceptedUri);
  };

  /*
   * PRODUCT BUG (minor; src/authserver/clients/redirect-policy.ts compilePattern, loopback `:*` matcher): it compares
   * `http://${url.hostname}${url.pathname}${url.search}`, and `url.search` is '' for an empty query too, so the
   * allowlist accepts `http://localhost:1/oauth/callback/debug?` for the pattern `http://localhost:*\/oauth/callback/debug`
   * (same root cause as redirectMatches above). Fix: compare the canonical href with the port cleared.
   * Shrunk counterexample: presets ["mcp-inspector"], uri "http://localhost:1/oauth/callback/debug?".
   */
  it('never accepts a URI outside its patterns (presets and operator patterns), for any application type', () => {
    fc.assert(
      fc.property(
        allowlistPolicy.chain((policy) => fc.tuple(fc.constant(policy), candidate(policy), fc.constantFrom(...TYPES))),
        ([policy, uri, type]) => {
          if (!checkRedirectUri(uri, policy, type).ok) return;
          const matching = patternsOf(policy).filter((p) => patternRegExp(p).test(uri));
          assert.ok(matching.length > 0, `${uri} accepted by ${JSON.stringify(policy)} without a matching pattern`);
        },
      ),
      { numRuns: 1500, examples: [[[{ mode: 'allowlist', presets: ['mcp-inspector'] }, 'http://localhost:1/oauth/callback/debug?', undefined]]] },
    );
  });

  it('accepts every concrete URI its patterns describe, when the always-rules allow it', () => {
    fc.assert(
      fc.property(
        allowlistPolicy
          .filter((policy) => patternsOf(policy).length > 0)
          .chain((policy) => fc.tuple(fc.constant(policy), fc.constantFrom(...patternsOf(policy)), fc.integer({ min: 1, max: 65535 }), callbackId)),
        ([policy, pattern, p, id]) => {
          const uri = concretize(pattern, p, id);
          if (new URL(uri).href !== uri) return; // e.g. a `:*` pattern concretized to the default port
          assert.ok(patternRegExp(pattern).test(uri));
          assert.deepEqual(checkRedirectUri(uri, policy), { ok: true }, `${uri} from ${pattern}`);
        },
      ),
      { numRuns: 1000 },
    );
  });

  // Fails for the same empty-query reason. Shrunk counterexample: pattern "http://localhost:*\/", uri "http://localhost:1/?".
  it('compilePattern either refuses a pattern as invalid or compiles a matcher that agrees with the pattern', () => {
    const patternLike = fc.oneof(
      operatorPattern,
      fc.tuple(operatorPattern, mutation).map(([p, m]) => m(p)),
      fc.string(),
      fc.constantFrom(
        'http://localhost:*',
        'http://evil.example:*/cb',
        'https://a.example/*/x',
        'https://a.example/x*',
        '*',
        'https://*.a.example/cb',
        'http://[::1]:*/cb?x=*',
      ),
    );
    fc.assert(
      fc.property(
        patternLike,
        fc.array(fc.tuple(fc.integer({ min: 1, max: 65535 }), callbackId, fc.array(mutation, { maxLength: 2 })), { minLength: 1, maxLength: 5 }),
        (pattern, probes) => {
          let matcher: ReturnType<typeof compilePattern>;
          try {
            matcher = compilePattern(pattern);
          } catch (error) {
            assert.match(String(error), /^Error: invalid redirect URI pattern/);
            return;
          }
          for (const [p, id, ms] of probes) {
            const uri = ms.reduce((u, m) => m(u), concretize(pattern, p, id));
            // Matchers only ever see URIs that passed the always-rules (canonical, no userinfo, no fragment…).
            const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1] ?? '';
            if (!checkRedirectUri(uri, { mode: 'any-safe', customSchemes: [scheme] }).ok) continue;
            const url = new URL(uri);
            if (matcher(uri, url)) assert.ok(patternRegExp(pattern).test(uri), `${pattern} matched ${uri}`);
          }
        },
      ),
      { numRuns: 2000, examples: [['http://localhost:*/', [[1, 'a', [(u: string) => `${u}?`]]]]] },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// The same rule at the real authorization endpoint

describe('redirect_uri matching at /auth (property, embedded server)', () => {
  let server: EmbeddedTestServer;
  const registered = new Map<string, string>(); // redirect URI → client id
  before(async () => {
    server = await startEmbedded();
  });
  after(() => server?.close());

  async function clientFor(uri: string): Promise<string> {
    let id = registered.get(uri);
    if (!id) {
      id = (await server.clients.add({ name: 'property client', redirectUris: [uri] })).client_id;
      registered.set(uri, id);
    }
    return id;
  }

  async function authorize(clientId: string, redirectUri: string): Promise<Response> {
    const { url } = authorizationUrl({ server, clientId, redirectUri });
    return fetch(url, { redirect: 'manual' });
  }

  /** Did the authorization endpoint accept the redirect URI (and move on to sign-in)? */
  async function accepted(response: Response, label: string): Promise<boolean> {
    await response.body?.cancel();
    assert.ok(response.status < 500, `${label}: ${response.status}`);
    const location = response.headers.get('location');
    if (response.status === 400) {
      assert.equal(location, null, `${label}: an error page, never a redirect`);
      return false;
    }
    assert.equal(response.status, 303, label);
    assert.ok(location !== null && new URL(location, server.urls.issuer).pathname.startsWith('/interaction/'), `${label}: went to ${location}`);
    return true;
  }

  it('only the registered string, or that loopback URI on another port, gets past /auth', async () => {
    await fc.assert(
      fc.asyncProperty(acceptedUri, fc.array(mutation, { minLength: 1, maxLength: 2 }), async (uri, mutations) => {
        const clientId = await clientFor(uri);
        const requested = mutations.reduce((u, m) => m(u), uri);
        if (requested === uri) return;
        if (await accepted(await authorize(clientId, requested), `${uri} vs ${JSON.stringify(requested)}`)) {
          // What the browser will follow must be the registered URI, at most on another loopback port.
          const a = new URL(uri);
          const b = URL.parse(requested);
          assert.ok(isLoopbackHttp(uri) && b !== null, `${JSON.stringify(requested)} accepted for ${uri}`);
          assert.deepEqual(
            [b.protocol, b.hostname, b.pathname, b.search, b.hash, b.username, b.password],
            [a.protocol, a.hostname, a.pathname, a.search, '', '', ''],
            requested,
          );
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a registration on localhost, 127.0.0.1 or [::1] is accepted at /auth on any port (RFC 8252 §7.3)', async () => {
    const usualLoopback = fc.tuple(fc.constantFrom('localhost', '127.0.0.1', '[::1]'), port, path, query).map(([h, p, pa, q]) => `http://${h}${p}${pa}${q}`);
    await fc.assert(
      fc.asyncProperty(
        usualLoopback.filter((u) => checkRedirectUri(u, ANY).ok),
        fc.integer({ min: 1024, max: 65535 }),
        async (uri, p) => {
          const moved = withPort(uri, String(p))!;
          const clientId = await clientFor(uri);
          assert.equal(await accepted(await authorize(clientId, moved), `${uri} on port ${p}`), true, `${moved} refused for ${uri}`);
        },
      ),
      { numRuns: 20 },
    );
  });

  /*
   * PRODUCT BUG (functional; src/authserver/clients/redirect-policy.ts parseSafe uses isLoopbackHost, which accepts
   * any 127/8 literal): the policy, `gatehouse clients add` and the registry accept `http://127.0.0.2/cb`, but
   * oidc-provider's client schema only allows `localhost`, `127.0.0.1` and `[::1]` for native http redirects, so the
   * client never loads: every authorization answers 400 invalid_redirect_uri ("redirect_uris for native clients
   * using http as a protocol can only use loopback addresses as hostnames"), even for the exact registered URI.
   * (Dynamic registration of the same URI fails at /reg with the provider's message instead of the policy's.)
   * Fix: in parseSafe, accept http only for the hostnames `localhost`, `127.0.0.1` and `[::1]` (keep isLoopbackHost
   * for issuer/cookie decisions), and align redirectMatches and the module comment.
   * Shrunk counterexample: "http://127.0.0.0:1/" (and "http://127.0.0.2/cb").
   */
  it('every URI the policy accepts works at /auth as the exact redirect_uri of a client registered with it', async () => {
    await fc.assert(
      fc.asyncProperty(acceptedUri, async (uri) => {
        if (!checkRedirectUri(uri, ANY).ok) return; // (the explicit example below skips the generator's filter)
        const clientId = await clientFor(uri);
        assert.equal(await accepted(await authorize(clientId, uri), `exact ${uri}`), true, `${uri} refused at /auth`);
      }),
      { numRuns: 40, examples: [['http://127.0.0.2/cb']] },
    );
  });
});
