import { createHash } from 'node:crypto';
import { HttpError, type HttpErrorOptions } from '../util/http-error.js';
import type { DownstreamRequest } from './caller.js';
import type { VerifiedToken } from './verifier.js';

/** RFC 8693 §2.1: the grant type, and the one token type exchanged both ways here. */
export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

// Declared beside the caller, whose `tokenFor()` takes it (the caller is below the verifiers, which are below this).
export type { DownstreamRequest } from './caller.js';

/** A token for a downstream API, issued for the caller. */
export interface DownstreamToken {
  accessToken: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  /** What the token grants, as the authorization server said (the request's scopes when it did not). */
  scopes: readonly string[];
}

/**
 * What an exchange starts from: what verifying the caller's token showed, and the token itself only for an
 * exchanger that must present it to an authorization server (`presentsSubjectToken`). Otherwise the server keeps
 * no copy of the token (its cache of verified tokens is keyed by hash, and callers are cached with it).
 */
export interface SubjectToken {
  verified: VerifiedToken;
  token?: string;
}

/**
 * How a server gets tokens for downstream APIs on its callers' behalf without passing their token on (RFC 8693
 * token exchange): the embedded authorization server mints them in process; in resource mode the external
 * authorization server is asked (`tokenExchange()`, `entraOnBehalfOf()`).
 */
export interface TokenExchanger {
  /** For the startup banner, e.g. `token exchange at https://as.example/token`. */
  readonly description: string;
  /**
   * True when the exchange sends the caller's token to an authorization server (RFC 8693's `subject_token`):
   * each caller then keeps it, for as long as its verification is cached. False for an exchanger that mints from
   * what the token said (the embedded authorization server).
   */
  readonly presentsSubjectToken: boolean;
  exchange(subject: SubjectToken, request: DownstreamRequest): Promise<DownstreamToken>;
}

/**
 * The exchange was refused or could not be made: `code` is the OAuth error the authorization server gave
 * (`invalid_target`, `invalid_scope`, `invalid_grant`…), or `temporarily_unavailable` when it could not be asked.
 * A tool may catch it; uncaught, the tool call fails with its description.
 */
export class DownstreamTokenError extends HttpError {
  override readonly name: string = 'DownstreamTokenError';
  constructor(code: string, message: string, options?: HttpErrorOptions & { status?: number }) {
    super(options?.status ?? (code === 'temporarily_unavailable' ? 503 : 400), code, message, options);
  }
}

/** The caller's token, for an exchanger that presents it (`presentsSubjectToken`, so the gate kept it). */
export function presentedToken(subject: SubjectToken): string {
  if (subject.token === undefined) throw new DownstreamTokenError('server_error', "the caller's token was not kept for this exchange", { status: 500 });
  return subject.token;
}

/** Exchanged tokens are used again until this many seconds before they expire. */
const EXPIRY_MARGIN_SECONDS = 30;
const MAX_CACHED = 10_000;

/**
 * Exchanged tokens by caller token, resource and scopes, until shortly before they expire: one tool call after
 * another asks the authorization server once. Bounded: the oldest entry goes first. Keys are hashes, never the
 * caller's token.
 */
export class ExchangedTokenCache {
  readonly #entries = new Map<string, DownstreamToken>();
  readonly #pending = new Map<string, Promise<DownstreamToken>>();

  constructor(private readonly exchanger: TokenExchanger) {}

  get presentsSubjectToken(): boolean {
    return this.exchanger.presentsSubjectToken;
  }

  async tokenFor(subject: SubjectToken, request: DownstreamRequest): Promise<DownstreamToken> {
    // The token's own identifier when it is not kept; a hash of it (below) when it is.
    const identity = subject.token ?? subject.verified.claims['jti'];
    if (typeof identity !== 'string' || identity === '') {
      throw new DownstreamTokenError('invalid_grant', "the caller's token has no identifier (jti) to cache its exchanges by");
    }
    const key = cacheKey(identity, request);
    const cached = this.#entries.get(key);
    if (cached && cached.expiresAt - EXPIRY_MARGIN_SECONDS > Date.now() / 1000) return cached;
    if (cached) this.#entries.delete(key);
    // Concurrent calls for the same token share one exchange.
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const exchange = this.exchanger.exchange(subject, request).then(
      (token) => {
        this.#pending.delete(key);
        if (this.#entries.size >= MAX_CACHED) this.#entries.delete(this.#entries.keys().next().value as string);
        this.#entries.set(key, token);
        return token;
      },
      (error: unknown) => {
        this.#pending.delete(key);
        throw error;
      },
    );
    this.#pending.set(key, exchange);
    return exchange;
  }
}

function cacheKey(identity: string, request: DownstreamRequest): string {
  const scopes = request.scopes ? [...new Set(request.scopes)].sort().join(' ') : '*';
  return createHash('sha256').update(identity).update('\n').update(request.resource).update('\n').update(scopes).digest('base64url');
}
