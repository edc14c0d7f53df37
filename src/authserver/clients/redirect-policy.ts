/**
 * Redirect-URI policy for client registration (dynamic registration, Client ID Metadata Documents, CLI).
 *
 * Rules that always apply, whatever the policy:
 * - The URI is printable ASCII (no whitespace, control characters or backslashes) and already in the
 *   canonical form the WHATWG URL parser produces. Why: what we check must be byte for byte what the
 *   browser later follows and what the authorization server compares, so `HTTP://…`, `127.1`,
 *   `/a/../b` and friends are refused instead of being "fixed" into something else.
 * - No fragment at all, not even an empty `#` (RFC 6749 §3.1.2), and no userinfo (`user@host`).
 * - `javascript:`, `data:`, `file:`, `vbscript:`, `blob:` and `about:` are refused.
 * - `http:` only for loopback: `localhost`, any 127/8 literal, `[::1]` (RFC 8252 §7.3, §8.3).
 * - `https:` is fine.
 * - Any other scheme is a private-use scheme (RFC 8252 §7.1). We accept it only when it looks like a
 *   reverse domain name (contains a dot, `com.example.app:/cb`), or is a dotless scheme a known client
 *   uses (from the presets, e.g. Cursor's `cursor:`), or the operator listed it in `customSchemes`.
 *   Why: a dotless scheme like `app:` is easy for another local app to claim; reverse-DNS names are not.
 *
 * Application type (OIDC Dynamic Registration §2, RFC 8252):
 * - `web`: https only; loopback http and private-use schemes are refused.
 * - `native`: loopback http, private-use schemes, and claimed https URIs (RFC 8252 §7.2) on a
 *   non-loopback host (oidc-provider refuses `https://localhost` for native clients too).
 * - Missing: many MCP clients (Claude Code, the Inspector, mcp-remote, Cursor) register loopback or
 *   custom-scheme redirects without `application_type`. We infer `native` when at least one redirect is
 *   loopback http or a private-use scheme, and `web` when all are https. A mixed set (Cursor registers
 *   `cursor://…`, `https://www.cursor.com/…` and `http://localhost:8787/…` together) could never be a
 *   valid web client, so native, where every one of those forms is legal, is the only reading that works.
 *
 * On top of that, `mode: 'allowlist'` accepts only URIs matching the presets' patterns (all presets, or
 * the ones named in `presets`) or the operator's own `patterns`. A pattern is one of:
 * - an exact URI: `https://claude.ai/api/mcp/auth_callback`;
 * - a loopback http URI with any port: `http://localhost:*\/callback`, `http://127.0.0.1:*\/`;
 * - an https URI whose last path segment is `*`, matching one segment of `[A-Za-z0-9_-]`:
 *   `https://chatgpt.com/connector/oauth/*` (ChatGPT uses one callback id per connector).
 */
const REDIRECT_LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
import { isLoopbackHost } from '../../resource/urls.js';
import { PRESETS, findPreset, presetNames, type ApplicationType } from './presets.js';

export interface RedirectPolicy {
  mode: 'any-safe' | 'allowlist';
  /** Allowlist mode: the presets whose patterns are accepted (default: every preset). */
  presets?: readonly string[];
  /** Allowlist mode: the operator's extra patterns (exact, loopback `:*` port, or trailing `/*` segment). */
  patterns?: readonly string[];
  /** Dotless private-use schemes accepted for native clients, e.g. `['myapp']`. */
  customSchemes?: readonly string[];
}

export type Check = { ok: true } | { ok: false; reason: string };
export type ChecksResult = { ok: true; applicationType: ApplicationType } | { ok: false; reason: string };

/** Past these, a registration is abuse rather than a client: bounds what an unauthenticated endpoint stores. */
const MAX_URI_LENGTH = 2048;
const MAX_URIS = 20;

const FORBIDDEN_SCHEMES = new Set(['javascript', 'data', 'file', 'vbscript', 'blob', 'about']);
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

type Kind = 'https' | 'loopback' | 'custom';
type Parsed = { url: URL; kind: Kind };

/** The dotless schemes the presets use (Cursor's `cursor:`), accepted without configuration. */
function presetSchemes(): Set<string> {
  const schemes = new Set<string>();
  for (const preset of PRESETS) {
    for (const pattern of preset.redirectUris) {
      const scheme = SCHEME.exec(pattern)?.[1];
      if (scheme && scheme !== 'http' && scheme !== 'https' && !scheme.includes('.')) schemes.add(scheme);
    }
  }
  return schemes;
}

const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

/** The rules that always apply. Returns the parsed URL and its kind, or why it is refused. */
function parseSafe(uri: string, policy: RedirectPolicy): Parsed | { ok: false; reason: string } {
  if (typeof uri !== 'string' || uri.length === 0) return fail('redirect URI must be a non-empty string');
  if (uri.length > MAX_URI_LENGTH) return fail(`redirect URI is longer than ${MAX_URI_LENGTH} characters`);
  // Before parsing: the URL parser silently strips whitespace and tabs and reads `\` as `/`.
  if (!PRINTABLE_ASCII.test(uri)) return fail('redirect URI must be printable ASCII without whitespace or control characters');
  if (uri.includes('\\')) return fail('redirect URI must not contain a backslash');
  if (uri.includes('#')) return fail('redirect URI must not contain a fragment');

  const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase();
  if (!scheme) return fail('redirect URI must be an absolute URI with a scheme');
  if (FORBIDDEN_SCHEMES.has(scheme)) return fail(`the ${scheme}: scheme is not allowed for redirect URIs`);

  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return fail('redirect URI is not a valid absolute URI');
  }
  if (url.href !== uri) return fail(`redirect URI must be written in canonical form (${url.href})`);
  if (url.username || url.password) return fail('redirect URI must not contain user information');

  if (scheme === 'https') return { url, kind: 'https' };
  if (scheme === 'http') {
    // The three names oidc-provider treats as loopback (RFC 8252 §7.3); another 127/8 address would register but never work.
    if (!REDIRECT_LOOPBACK.has(url.hostname)) return fail('http redirect URIs are only allowed for loopback hosts (127.0.0.1, [::1], localhost)');
    return { url, kind: 'loopback' };
  }
  // Private-use scheme: reverse-domain style, a known client's scheme, or one the operator allowed.
  const allowed = scheme.includes('.') || presetSchemes().has(scheme) || (policy.customSchemes ?? []).includes(scheme);
  if (!allowed) return fail(`private-use scheme ${scheme}: must be reverse-domain style (e.g. com.example.app:) or allowed in customSchemes`);
  if (url.pathname === '' && url.host === '') return fail('private-use redirect URI needs a path');
  return { url, kind: 'custom' };
}

/** Type-specific rules (see the module comment). */
function checkKind(parsed: Parsed, applicationType: ApplicationType): Check {
  if (applicationType === 'web') {
    if (parsed.kind === 'loopback') return fail('web clients must not use loopback http redirect URIs (register as application_type native)');
    if (parsed.kind === 'custom') return fail('web clients must not use private-use URI schemes (register as application_type native)');
    return { ok: true };
  }
  if (parsed.kind === 'https' && isLoopbackHost(parsed.url.hostname)) {
    return fail('native clients must use http, not https, for loopback redirect URIs');
  }
  return { ok: true };
}

type Matcher = (uri: string, url: URL) => boolean;

const LOOPBACK_PATTERN = /^http:\/\/([^/:?]+|\[::1\]):\*(\/[^*]*)?$/;
const SEGMENT = /^[A-Za-z0-9_-]{1,128}$/;

/** Turns one allowlist pattern into a matcher; throws on a malformed pattern (operator configuration error). */
export function compilePattern(pattern: string): Matcher {
  const invalid = (why: string) => new Error(`invalid redirect URI pattern "${pattern}": ${why}`);
  const loopback = LOOPBACK_PATTERN.exec(pattern);
  if (loopback) {
    const host = loopback[1] ?? '';
    const rest = loopback[2] ?? '/';
    const sample = parseSafe(`http://${host}:1${rest}`, { mode: 'any-safe' });
    if ('ok' in sample) throw invalid(sample.reason);
    if (sample.kind !== 'loopback') throw invalid('the :* port form is only for loopback http');
    const target = `http://${host}${rest}`;
    // Any port, including none: compare everything but the port.
    return (_uri, url) => url.protocol === 'http:' && withoutPort(url) === target;
  }
  if (pattern.endsWith('/*') && pattern.indexOf('*') === pattern.length - 1) {
    const prefix = pattern.slice(0, -1);
    const sample = parseSafe(`${prefix}x`, { mode: 'any-safe' });
    if ('ok' in sample) throw invalid(sample.reason);
    if (sample.kind !== 'https' || sample.url.search) throw invalid('a /* segment wildcard needs an https URI without a query');
    return (uri) => uri.startsWith(prefix) && SEGMENT.test(uri.slice(prefix.length));
  }
  if (pattern.includes('*')) throw invalid('* is only allowed as a loopback port (:*) or as the whole last path segment (/*)');
  // Exact patterns may use any private-use scheme: the operator named it explicitly.
  const exact = parseSafe(pattern, { mode: 'any-safe', customSchemes: [SCHEME.exec(pattern)?.[1] ?? ''] });
  if ('ok' in exact) throw invalid(exact.reason);
  return (uri) => uri === pattern;
}

/** Every pattern the policy allows in allowlist mode: the selected presets' plus the operator's. */
export function allowlistPatterns(policy: RedirectPolicy): string[] {
  const presets = policy.presets
    ? policy.presets.map((name) => {
        const preset = findPreset(name);
        if (!preset) throw new Error(`unknown client preset "${name}" in the redirect policy; choose from: ${presetNames().join(', ')}`);
        return preset;
      })
    : PRESETS;
  return [...presets.flatMap((p) => p.redirectUris), ...(policy.patterns ?? [])];
}

/** Operator-named exact patterns carry their own scheme: let that scheme through the always-rules. */
function withPatternSchemes(policy: RedirectPolicy): RedirectPolicy {
  if (policy.mode !== 'allowlist') return policy;
  const schemes = (policy.patterns ?? []).map((p) => SCHEME.exec(p)?.[1]?.toLowerCase() ?? '').filter(Boolean);
  return { ...policy, customSchemes: [...(policy.customSchemes ?? []), ...schemes] };
}

function checkOne(uri: string, policy: RedirectPolicy): Parsed | { ok: false; reason: string } {
  const parsed = parseSafe(uri, withPatternSchemes(policy));
  if ('ok' in parsed) return parsed;
  if (policy.mode === 'allowlist') {
    const matchers = allowlistPatterns(policy).map(compilePattern);
    if (!matchers.some((matches) => matches(uri, parsed.url))) return fail('redirect URI is not in the allowlist');
  }
  return parsed;
}

/**
 * Checks one redirect URI against the always-rules and the policy, and against the application type's
 * rules when one is given.
 */
export function checkRedirectUri(uri: string, policy: RedirectPolicy, applicationType?: ApplicationType): Check {
  const parsed = checkOne(uri, policy);
  if ('ok' in parsed) return parsed;
  return applicationType ? checkKind(parsed, applicationType) : { ok: true };
}

/**
 * Checks a client's whole redirect URI set. `applicationType` is the registered value, or undefined when
 * the client sent none (then it is inferred, see the module comment). Returns the effective type.
 */
export function checkRedirectUris(uris: readonly string[], applicationType: string | undefined, policy: RedirectPolicy): ChecksResult {
  if (!Array.isArray(uris) || uris.length === 0) return fail('at least one redirect URI is required');
  if (uris.length > MAX_URIS) return fail(`at most ${MAX_URIS} redirect URIs are allowed`);
  if (applicationType !== undefined && applicationType !== 'web' && applicationType !== 'native') {
    return fail('application_type must be "web" or "native"');
  }
  const parsed: Parsed[] = [];
  for (const uri of uris) {
    const one = checkOne(uri, policy);
    if ('ok' in one) return fail(`${String(uri)}: ${one.reason}`);
    parsed.push(one);
  }
  const effective: ApplicationType = applicationType ?? (parsed.some((p) => p.kind !== 'https') ? 'native' : 'web');
  for (const [i, one] of parsed.entries()) {
    const kind = checkKind(one, effective);
    if (!kind.ok) return fail(`${uris[i]}: ${kind.reason}`);
  }
  return { ok: true, applicationType: effective };
}

/**
 * Does the `redirect_uri` of an authorization request match a registered one? Exact string match, except
 * that for loopback http redirects the port may differ (RFC 8252 §7.3: native apps bind an ephemeral port
 * at run time). Scheme, host, path and query must still match exactly, so `localhost` ≠ `127.0.0.1`.
 */
export function redirectMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true;
  const a = loopbackParts(registered);
  const b = loopbackParts(requested);
  return a !== undefined && a === b;
}

/** `http://host/path?query` without the port, for a canonical loopback http URI; undefined otherwise. */
function loopbackParts(uri: string): string | undefined {
  if (!PRINTABLE_ASCII.test(uri) || uri.includes('#') || uri.includes('\\')) return undefined;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  // Canonical only: the string compared must be the string the browser follows.
  if (url.href !== uri || url.protocol !== 'http:' || url.username || url.password || !REDIRECT_LOOPBACK.has(url.hostname)) return undefined;
  return withoutPort(url);
}

/** The URI as written, minus its port (an empty `?` stays, unlike with `url.search`). */
function withoutPort(url: URL): string {
  const copy = new URL(url.href);
  copy.port = '';
  return copy.href;
}
