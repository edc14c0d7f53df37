import { parseScopes } from './scopes.js';
import { InvalidTokenError, type VerifiedToken } from './verifier.js';

/**
 * Turn the claims of a JWT or an introspection response into a {@link VerifiedToken}.
 * Issuers disagree on names: scopes come as `scope` (space-delimited) or `scp` (array or string);
 * the client as `client_id`, `azp`, `cid` (Okta) or `appid` (Entra v1).
 */
export function tokenFromClaims(claims: Record<string, unknown>): VerifiedToken {
  const subject = stringClaim(claims, 'sub');
  if (!subject) throw new InvalidTokenError('The token has no subject');
  const exp = claims['exp'];
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new InvalidTokenError('The token has no expiry');
  const aud = claims['aud'];
  const audience = Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : typeof aud === 'string' ? [aud] : [];
  const scopeClaim = claims['scope'] ?? claims['scp'];
  return {
    subject,
    clientId: stringClaim(claims, 'client_id') ?? stringClaim(claims, 'azp') ?? stringClaim(claims, 'cid') ?? stringClaim(claims, 'appid'),
    scopes: parseScopes(scopeClaim),
    audience,
    expiresAt: exp,
    issuer: stringClaim(claims, 'iss'),
    username: stringClaim(claims, 'preferred_username') ?? stringClaim(claims, 'username'),
    email: stringClaim(claims, 'email'),
    claims: Object.freeze({ ...claims }),
  };
}

function stringClaim(claims: Record<string, unknown>, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
