import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';
import { rememberedVerification, TokenCache } from './token-cache.js';
import { tokenFromClaims } from './claims.js';
import { InvalidTokenError, VerifierUnavailableError, type TokenVerifier, type VerifiedToken } from './verifier.js';

export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
export const SYMMETRIC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const MAX_CLOCK_TOLERANCE_SECONDS = 60;
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

export interface JwtVerifierOptions {
  /** The exact `iss` every token must carry. */
  issuer: string;
  /** Where the issuer publishes its keys. Exactly one of `jwksUri`, `publicKey`, `secret`. */
  jwksUri?: string;
  /** A PEM public key, a JWK, or a JWK Set. */
  publicKey?: string | JWK | JSONWebKeySet;
  /** A shared HMAC secret (at least 32 bytes) for issuers that sign with HS256. */
  secret?: string;
  /** Accepted signing algorithms. Defaults to every asymmetric algorithm, or HS256 with a secret. `none` is never accepted. */
  algorithms?: string[];
  /** Allowed clock difference for `exp`, `nbf` and `iat`; at most 60 s. Default 30 s. */
  clockToleranceSeconds?: number;
  /** Minimum time between two JWKS fetches caused by unknown `kid`s. Default 30 s. */
  jwksCooldownSeconds?: number;
  /** How long fetched keys are used before they are refreshed. Default 10 minutes. */
  jwksMaxAgeSeconds?: number;
  /** JWKS fetch timeout. Default 5 s. */
  jwksTimeoutSeconds?: number;
  /** Accept only RFC 9068 access tokens (`typ: at+jwt`). Off by default: many issuers still send `typ: JWT`. */
  requireAccessTokenType?: boolean;
}

/** Verify JWT access tokens locally: signature, algorithm allowlist, `iss`, `exp`, `nbf`, token type. */
export function jwt(options: JwtVerifierOptions): TokenVerifier {
  const sources = [options.jwksUri, options.publicKey, options.secret].filter((s) => s !== undefined);
  if (sources.length !== 1) throw new Error('jwt verifier: set exactly one of jwksUri, publicKey or secret');
  const algorithms = options.algorithms ?? (options.secret !== undefined ? ['HS256'] : [...ASYMMETRIC_ALGORITHMS]);
  checkAlgorithms(algorithms, options.secret !== undefined);
  const clockTolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (clockTolerance < 0 || clockTolerance > MAX_CLOCK_TOLERANCE_SECONDS) {
    throw new Error(`jwt verifier: clockToleranceSeconds must be between 0 and ${MAX_CLOCK_TOLERANCE_SECONDS}`);
  }

  const { key, description } = keySource(options);
  // A token verified once is the same token on its next request: keep the result (by the token's hash) until the
  // token expires, and at most a minute, so a key removed from the issuer's JWKS stops counting soon after.
  const verified = new TokenCache<VerifiedToken>(VERIFIED_CACHE_ENTRIES);

  async function verifyNow(token: string): Promise<VerifiedToken> {
    refuseBeforeKeys(token, options.issuer, algorithms);
    try {
      const { payload, protectedHeader } = await jwtVerify(token, key as JWTVerifyGetKey, {
        issuer: options.issuer,
        algorithms,
        clockTolerance,
        requiredClaims: ['exp', 'sub'],
      });
      rejectNonAccessTokens(protectedHeader.typ, payload, options.requireAccessTokenType ?? false);
      return tokenFromClaims(payload as Record<string, unknown>);
    } catch (error) {
      throw translateError(error, options.jwksUri);
    }
  }

  return {
    description,
    ...rememberedVerification(verified, VERIFIED_CACHE_MS, verifyNow),
  };
}

const VERIFIED_CACHE_ENTRIES = 10_000;
const VERIFIED_CACHE_MS = 60_000;

function checkAlgorithms(algorithms: string[], symmetric: boolean): void {
  if (algorithms.length === 0) throw new Error('jwt verifier: algorithms must not be empty');
  const allowed: readonly string[] = symmetric ? SYMMETRIC_ALGORITHMS : ASYMMETRIC_ALGORITHMS;
  for (const alg of algorithms) {
    if (!allowed.includes(alg)) {
      throw new Error(`jwt verifier: algorithm "${alg}" is not allowed with ${symmetric ? 'a shared secret' : 'public keys'} (allowed: ${allowed.join(', ')})`);
    }
  }
}

/**
 * An issuer's keys from its JWKS URL: fetched on first use, kept for `jwksMaxAgeSeconds`, fetched again early for
 * an unknown `kid` at most once per `jwksCooldownSeconds`. The JWT verifier and the enterprise IdPs fetch keys alike.
 */
export function remoteKeySet(
  url: URL,
  options: Pick<JwtVerifierOptions, 'jwksCooldownSeconds' | 'jwksMaxAgeSeconds' | 'jwksTimeoutSeconds'> = {},
): JWTVerifyGetKey {
  return createRemoteJWKSet(url, {
    cooldownDuration: (options.jwksCooldownSeconds ?? 30) * 1000,
    cacheMaxAge: (options.jwksMaxAgeSeconds ?? 600) * 1000,
    timeoutDuration: (options.jwksTimeoutSeconds ?? 5) * 1000,
  });
}

function keySource(options: JwtVerifierOptions): { key: JWTVerifyGetKey | KeyObject | Uint8Array; description: string } {
  if (options.jwksUri !== undefined) {
    const url = new URL(options.jwksUri);
    return { key: remoteKeySet(url, options), description: `jwt (JWKS ${url.href})` };
  }
  if (options.secret !== undefined) {
    const secret = new TextEncoder().encode(options.secret);
    if (secret.byteLength < 32) throw new Error('jwt verifier: the HS256 secret must be at least 32 bytes');
    return { key: secret, description: 'jwt (shared secret)' };
  }
  const publicKey = options.publicKey!;
  if (typeof publicKey === 'object' && 'keys' in publicKey) {
    return { key: createLocalJWKSet(publicKey), description: `jwt (static JWKS, ${publicKey.keys.length} keys)` };
  }
  const keyObject =
    typeof publicKey === 'string' ? createPublicKey(publicKey) : createPublicKey({ key: publicKey as import('node:crypto').JsonWebKey, format: 'jwk' });
  if (keyObject.type !== 'public') throw new Error('jwt verifier: publicKey must be a public key');
  return { key: keyObject, description: 'jwt (static public key)' };
}

/**
 * ID tokens are signed by the same keys as access tokens but are meant for the client, not for us.
 * RFC 9068 access tokens say `typ: at+jwt`; without it, refuse anything that carries ID-token-only claims.
 */
function rejectNonAccessTokens(typ: unknown, payload: Record<string, unknown>, requireAtJwt: boolean): void {
  if (typ !== undefined && typeof typ !== 'string') throw new InvalidTokenError('The token header has an invalid typ');
  const type = typ?.toLowerCase();
  if (type === 'at+jwt' || type === 'application/at+jwt') return;
  if (requireAtJwt) throw new InvalidTokenError('The token is not an RFC 9068 access token (typ must be at+jwt)');
  if (type !== undefined && type !== 'jwt') throw new InvalidTokenError(`Tokens of type "${typ}" are not access tokens`);
  const looksLikeIdToken = 'nonce' in payload || 'at_hash' in payload || 'c_hash' in payload || payload['typ'] === 'ID';
  if (looksLikeIdToken) throw new InvalidTokenError('ID tokens are not access tokens');
}

/**
 * What the token says about itself decides some refusals before any key is fetched: a token that is not a JWT,
 * names another issuer or an algorithm not allowed here is refused as it is (401), even while the issuer's
 * JWKS cannot be reached. Nothing unverified is ever accepted: a token that passes still has its signature and
 * claims checked.
 */
function refuseBeforeKeys(token: string, issuer: string, algorithms: readonly string[]): void {
  let claims: Record<string, unknown>;
  let alg: unknown;
  try {
    claims = decodeJwt(token);
    alg = decodeProtectedHeader(token).alg;
  } catch {
    throw new InvalidTokenError('The token signature or format is invalid');
  }
  if (claims['iss'] !== issuer) throw new InvalidTokenError('The token was issued by an untrusted issuer');
  if (typeof alg !== 'string' || !algorithms.includes(alg)) throw new InvalidTokenError('The token is signed with an algorithm that is not allowed');
}

function translateError(error: unknown, jwksUri: string | undefined): Error {
  if (error instanceof InvalidTokenError) return error;
  const jwks = `The issuer's JWKS${jwksUri === undefined ? '' : ` at ${jwksUri}`}`;
  if (error instanceof errors.JWKSTimeout) return new VerifierUnavailableError(`${jwks} did not answer in time`, { reason: 'timeout' });
  if (error instanceof errors.JWTExpired) return new InvalidTokenError('The token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return new InvalidTokenError('The token is not valid yet');
    if (error.claim === 'iss') return new InvalidTokenError('The token was issued by an untrusted issuer');
    return new InvalidTokenError(`The token's ${error.claim} claim is invalid`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return new InvalidTokenError('The token is signed with an algorithm that is not allowed');
  if (error instanceof errors.JWKSInvalid) return new VerifierUnavailableError(`${jwks} is not a valid key set`, { reason: 'malformed_answer' });
  if (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC') {
    // jose's two failures of the JWKS response: a status other than 200, or a body that is not JSON.
    const status = /Expected 200 OK/.test(error.message);
    return status
      ? new VerifierUnavailableError(`${jwks} answered with an error status`, { reason: 'error_status' })
      : new VerifierUnavailableError(`${jwks} answered with something that is not JSON`, { reason: 'malformed_answer' });
  }
  if (error instanceof errors.JWKSNoMatchingKey) return new InvalidTokenError('The token is signed with an unknown key');
  if (error instanceof errors.JOSEError) return new InvalidTokenError('The token signature or format is invalid');
  // fetch() reports network failures (refused, reset, DNS) as a TypeError whose cause is the socket error.
  if (error instanceof TypeError && error.message === 'fetch failed') {
    const code = (error.cause as { code?: unknown } | undefined)?.code;
    return new VerifierUnavailableError(`${jwks} could not be reached${typeof code === 'string' ? ` (${code})` : ''}`, { reason: 'unreachable', cause: error });
  }
  return new InvalidTokenError('The token could not be verified');
}
