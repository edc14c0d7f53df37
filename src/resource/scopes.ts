/**
 * Scope parsing and the sufficiency check, including scope hierarchies
 * (a broader scope implies narrower ones, as the MCP authorization spec requires servers to honour).
 */

/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function isScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value);
}

/** Split a space-delimited scope string (or an array, as some issuers send `scp`) into unique scope tokens. */
export function parseScopes(value: unknown): string[] {
  const parts = Array.isArray(value)
    ? value.filter((v): v is string => typeof v === 'string').flatMap((v) => v.split(' '))
    : typeof value === 'string'
      ? value.split(' ')
      : [];
  return [...new Set(parts.filter((p) => p.length > 0 && isScopeToken(p)))];
}

/** Maps a broad scope to the narrower scopes it implies. Implication is transitive. */
export type ScopeHierarchy = Readonly<Record<string, readonly string[]>>;

/** Everything the granted scopes amount to once the hierarchy is applied. */
export function expandScopes(granted: Iterable<string>, hierarchy: ScopeHierarchy = {}): Set<string> {
  const result = new Set<string>();
  const pending = [...granted];
  while (pending.length > 0) {
    const scope = pending.pop()!;
    if (result.has(scope)) continue;
    result.add(scope);
    // Own keys only: a scope named `toString` or `__proto__` must not reach Object.prototype.
    for (const implied of Object.hasOwn(hierarchy, scope) ? (hierarchy[scope] ?? []) : []) pending.push(implied);
  }
  return result;
}

/** The required scopes the granted set does not cover (empty when sufficient). */
export function missingScopes(granted: Iterable<string>, required: readonly string[], hierarchy: ScopeHierarchy = {}): string[] {
  if (required.length === 0) return [];
  // The usual case, checked on every call: each required scope granted as such, no hierarchy to walk.
  if (Array.isArray(granted) && required.every((scope) => granted.includes(scope))) return [];
  const effective = expandScopes(granted, hierarchy);
  return required.filter((scope) => !effective.has(scope));
}

/** Validate a hierarchy at start-up: every name is a scope token and there is nothing odd to trip over later. */
export function checkScopeHierarchy(hierarchy: ScopeHierarchy): void {
  for (const [broad, narrower] of Object.entries(hierarchy)) {
    for (const scope of [broad, ...narrower]) {
      if (!isScopeToken(scope)) throw new Error(`scopeHierarchy: "${scope}" is not a valid OAuth scope`);
    }
  }
}
