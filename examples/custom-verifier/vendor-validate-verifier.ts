/**
 * A custom TokenVerifier for identity products that want resource servers to ask them about each
 * token instead of checking signatures locally (FusionAuth-style `GET /api/jwt/validate`).
 *
 * Contract of the vendor endpoint:
 *   GET {baseUrl}/api/jwt/validate   Authorization: Bearer <token>
 *   200 {"jwt": {...claims}}  the token is valid
 *   401                       the token is not (expired, revoked, forged)
 *
 * The verifier only answers "genuine, and what does it say?". Gatehouse's bearer gate still
 * enforces audience, expiry and scopes on what we return, so none of that is repeated here.
 */
// Outside this repository, import from 'mcp-gatehouse' instead.
import { InvalidTokenError, tokenFromClaims, VerifierUnavailableError, type TokenVerifier, type VerifiedToken } from '../../src/index.js';

export interface VendorValidateOptions {
  /** Where the vendor is reachable, e.g. `https://auth.example.com` (a path prefix is kept). */
  baseUrl: string;
  /** Give up on the vendor after this long. Default 5000 ms. */
  timeoutMs?: number;
}

export function vendorValidateVerifier({ baseUrl, timeoutMs = 5000 }: VendorValidateOptions): TokenVerifier {
  // Resolve against a trailing-slash base so `https://host/prefix` keeps its `/prefix`.
  const endpoint = new URL('api/jwt/validate', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);

  return {
    description: `vendor validate (${endpoint.href})`,
    async verify(token: string): Promise<VerifiedToken> {
      let response: Response;
      try {
        response = await fetch(endpoint, {
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          // A redirect would send the token somewhere we did not choose.
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch {
        // Refused connection, DNS failure, timeout: we cannot tell, so never accept (the gate answers 503).
        throw new VerifierUnavailableError(`The token validation endpoint ${endpoint.origin} could not be reached`);
      }

      if (response.status === 401) {
        await response.body?.cancel();
        throw new InvalidTokenError('The token was rejected by the identity provider');
      }
      if (response.status !== 200) {
        // 5xx is an outage; any other status means the endpoint is misconfigured. Either way the
        // token was not judged, so answer "try later" rather than send the user to sign in again.
        await response.body?.cancel();
        throw new VerifierUnavailableError(`The token validation endpoint answered HTTP ${response.status}`);
      }

      let body: unknown;
      try {
        body = await response.json();
      } catch {
        throw new VerifierUnavailableError('The token validation endpoint answered with invalid JSON');
      }
      const claims = (body as { jwt?: unknown } | null)?.jwt;
      if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
        throw new VerifierUnavailableError('The token validation answer has no "jwt" object');
      }
      // Same claim mapping as the built-in verifiers (sub, exp, aud, scope/scp, client_id/azp, ...).
      return tokenFromClaims(claims as Record<string, unknown>);
    },
  };
}
