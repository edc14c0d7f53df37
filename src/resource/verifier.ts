import { HttpError, TemporarilyUnavailableError, type HttpErrorOptions } from '../util/http-error.js';
import type { CallerKind, UpstreamCaller } from './caller.js';

/**
 * The contract every token verifier fulfils, built in or custom.
 *
 * A verifier answers one question: is this bearer token genuine, and what does it say?
 * Policy that applies to every token (audience, expiry, scopes) is enforced once, by the
 * bearer gate, so a custom verifier cannot forget it.
 */
export interface VerifiedToken {
  /** Whether a person is behind the token (the default) or a client acting for itself; see {@link Caller}. */
  kind?: CallerKind;
  /** The subject (`sub`) the token was issued for. */
  subject: string;
  /** The OAuth client the token was issued to, when the token says. */
  clientId?: string;
  /** The client's name, when the verifier knows it (machine clients of the embedded server). */
  clientName?: string;
  /** Granted scopes, already split into individual scope tokens. */
  scopes: string[];
  /** Every audience the token names (`aud`). The gate requires this server's resource identifier among them. */
  audience: string[];
  /** Expiry, in seconds since the epoch. Tokens without one are refused. */
  expiresAt: number;
  /** The issuer (`iss`), when known. */
  issuer?: string;
  username?: string;
  email?: string;
  /** Every claim the verifier saw, for tools that need more than the fields above. */
  claims: Readonly<Record<string, unknown>>;
  /** The identity at the upstream provider the person signed in with (federated mode). */
  upstream?: UpstreamCaller;
}

export interface TokenVerifier {
  /** A short description for the startup banner, e.g. `jwt (JWKS https://as.example/jwks)`. */
  readonly description: string;
  /**
   * Verify a token. Throw {@link InvalidTokenError} when it is not acceptable, and
   * {@link VerifierUnavailableError} when the answer cannot be known right now
   * (the issuer's JWKS or introspection endpoint is down).
   */
  verify(token: string): Promise<VerifiedToken>;
  /**
   * The answer for a token this verifier has verified and still trusts, without an await; `undefined` when it
   * would have to look (the gate then calls `verify`). For verifiers that keep a cache.
   */
  cached?(token: string): VerifiedToken | undefined;
  /**
   * True only when every token this verifier accepts is for this server by construction
   * (development static tokens), so the gate need not find this server in `audience`.
   */
  readonly audienceImplicit?: boolean;
  close?(): Promise<void> | void;
}

/** The token is not acceptable: answered with 401 `invalid_token` (RFC 6750 §3.1); the message is the description. */
export class InvalidTokenError extends HttpError {
  override readonly name: string = 'InvalidTokenError';
  constructor(message: string, options?: HttpErrorOptions) {
    super(401, 'invalid_token', message, options);
  }
}

/**
 * Why a verifier could not decide, for the log line and `gatehouse_verifier_unavailable_total`: the issuer (or
 * introspection endpoint) could not be reached, did not answer in time, refused this server's own credentials,
 * answered with another error status or with something that is not an answer; or the store could not be read.
 */
export type UnavailableReason = 'unreachable' | 'timeout' | 'credentials_rejected' | 'error_status' | 'malformed_answer' | 'store_unavailable' | 'other';

export const UNAVAILABLE_REASONS: readonly UnavailableReason[] = [
  'unreachable',
  'timeout',
  'credentials_rejected',
  'error_status',
  'malformed_answer',
  'store_unavailable',
  'other',
];

/**
 * The verifier cannot decide right now: answered with 503 and `Retry-After`, never with acceptance. The message
 * (for the log) says what went wrong and `reason` which kind of failure it was; the client is told neither.
 */
export class VerifierUnavailableError extends TemporarilyUnavailableError {
  override readonly name: string = 'VerifierUnavailableError';
  readonly reason: UnavailableReason;
  constructor(message: string, options: HttpErrorOptions & { reason?: UnavailableReason } = {}) {
    const { reason, ...rest } = options;
    super(message, { description: 'The token cannot be verified right now; try again shortly', ...rest });
    this.reason = reason ?? 'other';
  }
}
