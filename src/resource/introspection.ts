import { clientSecretBasic } from '../util/client-secret-basic.js';
import { isTimeout, networkFailureDetail } from '../util/fetch-failure.js';
import { tokenFromClaims } from './claims.js';
import { rememberedVerification, TokenCache } from './token-cache.js';
import { InvalidTokenError, VerifierUnavailableError, type TokenVerifier, type VerifiedToken } from './verifier.js';

export const DEFAULT_INTROSPECTION_CACHE_SECONDS = 60;

export interface IntrospectionVerifierOptions {
  /** The authorization server's RFC 7662 introspection endpoint. */
  url: string;
  /** Credentials this resource server was issued to call the endpoint. */
  clientId: string;
  clientSecret: string;
  /** How to present them. Default `client_secret_basic`. */
  authMethod?: 'client_secret_basic' | 'client_secret_post';
  /** When set, an `iss` in the answer must equal it. */
  issuer?: string;
  /** Upper bound on how long an active answer is reused (never past the token's own expiry). Default 60 s. */
  cacheMaxSeconds?: number;
  /** Most answers kept at once. Default 10,000. */
  cacheMaxEntries?: number;
  /** Introspection request timeout. Default 5 s. */
  timeoutSeconds?: number;
}

/**
 * Verify opaque (or any) tokens by asking the authorization server (RFC 7662).
 * Only active answers are cached, by token hash, for no longer than the token lives and the configured maximum;
 * inactive answers and failures are never cached, so a token is re-checked on its next use.
 */
export function introspection(options: IntrospectionVerifierOptions): TokenVerifier {
  const url = new URL(options.url);
  const where = `${url.origin}${url.pathname}`; // in log lines: never a query string or userinfo
  const authMethod = options.authMethod ?? 'client_secret_basic';
  const cacheMaxMs = (options.cacheMaxSeconds ?? DEFAULT_INTROSPECTION_CACHE_SECONDS) * 1000;
  const timeoutMs = (options.timeoutSeconds ?? 5) * 1000;
  const cache = new TokenCache<VerifiedToken>(options.cacheMaxEntries ?? 10_000);

  async function introspect(token: string): Promise<VerifiedToken> {
    const body = new URLSearchParams({ token, token_type_hint: 'access_token' });
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (authMethod === 'client_secret_basic') {
      headers['authorization'] = clientSecretBasic(options.clientId, options.clientSecret);
    } else {
      body.set('client_id', options.clientId);
      body.set('client_secret', options.clientSecret);
    }

    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers, body, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw fetchFailure(error, where, timeoutMs);
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw new VerifierUnavailableError(
        `The introspection endpoint ${where} refused this server's credentials (HTTP ${response.status}): check the client id and secret it was given`,
        { reason: 'credentials_rejected' },
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new VerifierUnavailableError(`The introspection endpoint ${where} answered HTTP ${response.status}`, { reason: 'error_status' });
    }
    let answer: unknown;
    try {
      answer = await response.json();
    } catch (error) {
      if (isTimeout(error)) throw fetchFailure(error, where, timeoutMs);
      throw new VerifierUnavailableError(`The introspection endpoint ${where} answered with something that is not JSON`, { reason: 'malformed_answer' });
    }
    if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
      throw new VerifierUnavailableError(`The introspection endpoint ${where} answered with JSON that is not an object`, { reason: 'malformed_answer' });
    }
    const claims = answer as Record<string, unknown>;
    if (claims['active'] !== true) throw new InvalidTokenError('The token is not active');
    if (claims['token_type'] === 'refresh_token') throw new InvalidTokenError('Refresh tokens are not access tokens');
    if (options.issuer !== undefined && claims['iss'] !== undefined && claims['iss'] !== options.issuer) {
      throw new InvalidTokenError('The token was issued by an untrusted issuer');
    }
    const verified = tokenFromClaims(claims);
    const nowMs = Date.now();
    if (verified.expiresAt * 1000 <= nowMs) throw new InvalidTokenError('The token has expired');
    return verified;
  }

  return {
    description: `introspection (${url.href}, ${authMethod})`,
    ...rememberedVerification(cache, cacheMaxMs, introspect),
    close() {
      cache.clear();
    },
  };
}

/** A request that got no answer: no answer in time, or none at all (refused, reset, no such host). */
function fetchFailure(error: unknown, where: string, timeoutMs: number): VerifierUnavailableError {
  if (isTimeout(error)) {
    return new VerifierUnavailableError(`The introspection endpoint ${where} did not answer within ${timeoutMs} ms`, { reason: 'timeout', cause: error });
  }
  return new VerifierUnavailableError(`The introspection endpoint ${where} could not be reached (${networkFailureDetail(error)})`, {
    reason: 'unreachable',
    cause: error,
  });
}
