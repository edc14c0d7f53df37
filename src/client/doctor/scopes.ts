import { type Facts, scopeList, strings } from './facts.js';
import { type Check, fail, pass, warn } from './report.js';

/**
 * The scopes a client will ask for: the challenge's `scope`, else the metadata's `scopes_supported` (MCP
 * 2025-11-25, SEP-835). Neither may hold `offline_access` (2026-07-28, SEP-2207): refresh tokens are the
 * authorization server's business, and a client asks for them only when that server lists the scope.
 */
export function checkScopes(facts: Facts, checks: Check[]): void {
  const challenged = facts.challenge?.parsed ? scopeList(facts.challenge.parsed.params['scope']) : undefined;
  const supported = facts.prm ? strings(facts.prm.document['scopes_supported']) : undefined;

  if (challenged) {
    checks.push(
      challenged.length
        ? pass('scopes.challenge', `the challenge asks for: ${challenged.join(' ')}`)
        : warn(
            'scopes.challenge',
            'the challenge names no scope: clients fall back to scopes_supported, or ask for none',
            'add scope="<the scopes the server needs>" to the challenge (RFC 6750 §3)',
          ),
    );
  }
  if (facts.prm) {
    checks.push(
      supported?.length
        ? pass('scopes.supported', `the metadata lists scopes_supported: ${supported.join(' ')}`)
        : warn(
            'scopes.supported',
            'the metadata has no scopes_supported: clients that get no scope in the challenge ask for none',
            'list the scopes the server uses in "scopes_supported"',
          ),
    );
  }

  const where = [challenged?.includes('offline_access') && 'the challenge', supported?.includes('offline_access') && 'scopes_supported'].filter(Boolean);
  if (where.length) {
    checks.push(
      fail(
        'scopes.offline-access',
        `offline_access is in ${where.join(' and ')}: it is not a scope of the resource, and clients add it only when the authorization server lists it`,
        'drop offline_access from the challenge and the resource metadata (MCP 2026-07-28, SEP-2207)',
      ),
    );
  } else if (challenged || supported) {
    checks.push(pass('scopes.offline-access', 'offline_access is not asked for by the resource'));
  }

  const asScopes = facts.as ? strings(facts.as.document['scopes_supported']) : undefined;
  const wanted = challenged?.length ? challenged : (supported ?? []);
  if (asScopes && wanted.length) {
    const unknown = wanted.filter((s) => s !== 'offline_access' && !asScopes.includes(s));
    checks.push(
      unknown.length
        ? warn(
            'scopes.known-to-as',
            `the authorization server does not list ${unknown.join(' ')}: it may refuse the request with invalid_scope`,
            "add the resource's scopes to the authorization server's scopes_supported (or its scope configuration)",
          )
        : pass('scopes.known-to-as', 'the authorization server lists every scope the resource asks for'),
    );
  }
}
