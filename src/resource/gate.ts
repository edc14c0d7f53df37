import type { AuthInfo } from '@modelcontextprotocol/server';
import type { Caller } from './caller.js';
import type { ServerUrls } from './urls.js';
import { challengeResponse, type ChallengeParams, type DpopChallenge } from './challenge.js';
import { DpopProofError, type DpopProofs } from './dpop.js';
import { expandScopes, missingScopes, type ScopeHierarchy } from './scopes.js';
import { DownstreamTokenError, type ExchangedTokenCache } from './downstream.js';
import { InvalidTokenError, type TokenVerifier, type UnavailableReason, VerifierUnavailableError, type VerifiedToken } from './verifier.js';

export interface BearerGateOptions {
  urls: ServerUrls;
  verifier: TokenVerifier;
  /** Scopes named in the 401 challenge (what a client should ask for). */
  challengeScopes: readonly string[];
  /** Scopes every request to the endpoint needs, on top of each tool's own. */
  requiredScopes: readonly string[];
  scopeHierarchy: ScopeHierarchy;
  /** Accept tokens that name no audience at all (some introspection endpoints omit `aud`). Tokens naming another audience are still refused. */
  dangerouslyAcceptMissingAudience?: boolean;
  /** Told whether a verifier with a cache had the token in it (`hit`) or had to verify it (`miss`). */
  onCacheLookup?: (result: 'hit' | 'miss') => void;
  /** Called with errors a verifier threw that are neither "invalid" nor "unavailable" (verifier bugs). */
  onVerifierError?: (error: unknown) => void;
  /** Checks the proofs of DPoP-bound tokens (RFC 9449), and says whether DPoP is required. */
  dpop: DpopProofs;
  /** Where `caller.tokenFor()` gets tokens for downstream APIs; absent, it rejects saying so. */
  downstream?: ExchangedTokenCache;
}

/** Why a request was refused, for the request log. */
export type GateOutcome = 'no_token' | 'malformed' | 'invalid_token' | 'invalid_dpop_proof' | 'insufficient_scope' | 'verifier_unavailable';

export type GateResult =
  | { ok: true; caller: Caller; authInfo: AuthInfo }
  | {
      ok: false;
      outcome: GateOutcome;
      /** Why, for the log line (never sent): what the client is told, or for a 503 what went wrong. */
      reason: string;
      /** For `verifier_unavailable`: which kind of failure, for the metrics. */
      unavailable?: UnavailableReason;
      response: Response;
    };

type Refused = Extract<GateResult, { ok: false }>;

/** What a verified token is admitted with, the same for every request bearing it. */
interface Admission {
  readonly caller: Caller;
  readonly authInfo: AuthInfo;
  /** The thumbprint of the key the token is bound to (`cnf.jkt`, RFC 9449 §6), when it is. */
  readonly jkt?: string;
}

/**
 * The AuthInfo the MCP handler (and so every tool) is given: who is calling, never with what. MCP 2026-07-28
 * forbids passing the client's token on, so `token` is always the empty string (the SDK's type wants a string;
 * an empty one fails loudly wherever someone tries to use it as a credential). Frozen and shared by every request
 * bearing the same token, so a tool cannot change what the next request is given. `resource` is a getter
 * returning a new URL on each read, as a URL's parts can be set even inside a frozen object.
 */
class CallerAuthInfo implements AuthInfo {
  readonly token = '';
  readonly clientId: string;
  readonly scopes: string[];
  readonly resourceMetadataUrl: string;
  readonly extra: Readonly<{ caller: Caller }>;
  readonly #resource: string;

  constructor(
    readonly expiresAt: number,
    caller: Caller,
    /** The scopes the token grants once the scope hierarchy is applied, so the SDK's own scope checks agree with ours. */
    scopes: readonly string[],
    resource: string,
    resourceMetadataUrl: string,
  ) {
    this.clientId = caller.clientId ?? '';
    this.scopes = Object.freeze([...scopes]) as string[];
    this.resourceMetadataUrl = resourceMetadataUrl;
    this.extra = Object.freeze({ caller });
    this.#resource = resource;
    Object.freeze(this);
  }

  get resource(): URL {
    return new URL(this.#resource);
  }
}

/** RFC 6750 §2.1 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const CLOCK_SKEW_SECONDS = 60;
const FORM_CONTENT_TYPE = /^application\/x-www-form-urlencoded\b/i;

/**
 * The bearer gate in front of the MCP endpoint: takes the token from the `Authorization` header only,
 * verifies it, and enforces what applies to every token: audience, expiry, endpoint scopes, and for a token
 * bound to a key (`cnf.jkt`), the DPoP scheme with a valid proof of that key.
 */
export function bearerGate(options: BearerGateOptions) {
  const { urls, verifier, dpop } = options;
  const dpopChallenge: DpopChallenge = { algs: dpop.algorithms, required: dpop.required };
  const challenge = (params: ChallengeParams) =>
    challengeResponse({ scopes: options.challengeScopes, resourceMetadata: urls.resourceMetadata, dpop: dpopChallenge, ...params });
  const refuse = (outcome: GateOutcome, params: ChallengeParams): Refused => ({
    ok: false,
    outcome,
    reason: params.errorDescription ?? 'No bearer token was sent',
    response: challenge(params),
  });
  /** A refusal of a DPoP-scheme request: its error goes on the DPoP challenge (RFC 9449 §7.1). */
  const refuseDpop = (outcome: GateOutcome, params: ChallengeParams, nonce?: string): Refused =>
    refuse(outcome, { ...params, dpop: { ...dpopChallenge, schemeUsed: true, ...(nonce !== undefined && { nonce }) } });
  const proofRefusal = (error: unknown): GateResult => {
    if (!(error instanceof DpopProofError)) throw error; // the store is down: a 503, never an acceptance
    return refuseDpop('invalid_dpop_proof', { error: error.error, errorDescription: error.description }, error.nonce);
  };

  /** Map what a verifier threw to the answer: 503 when it cannot tell right now, else 401 `invalid_token`. */
  const refusal = (error: unknown, refuseAs = refuse): GateResult => {
    if (error instanceof VerifierUnavailableError) {
      return { ok: false, outcome: 'verifier_unavailable', reason: error.message, unavailable: error.reason, response: error.toResponse() };
    }
    if (!(error instanceof InvalidTokenError)) options.onVerifierError?.(error);
    const description = error instanceof InvalidTokenError ? error.message : 'The token could not be verified';
    return refuseAs('invalid_token', { error: 'invalid_token', errorDescription: description });
  };

  /**
   * Admitted tokens, by their verified token. Verifiers answer a cached token with the same object each time,
   * and its audience, endpoint scopes and caller never change: they are worked out once and shared by every
   * request bearing the token. Expiry is checked on every request. The token itself is kept nowhere: not here,
   * and not in what a handler is given — unless an exchanger must present it to an authorization server, and
   * then only inside `caller.tokenFor()`, from where nothing can read it back.
   */
  const admitted = new WeakMap<VerifiedToken, Admission>();

  /** The checks every verified token must pass apart from expiry, then who is calling; a refusal otherwise. */
  const judge = (verified: VerifiedToken, token: string): Admission | Refused => {
    const audienceOk =
      verifier.audienceImplicit === true ||
      // RFC 8707 §2 and MCP's canonical form: the audience is this exact string. No case folding, no trailing
      // slash forgiven: a looser comparison accepts tokens minted for a look-alike resource.
      verified.audience.includes(urls.resource) ||
      (verified.audience.length === 0 && options.dangerouslyAcceptMissingAudience === true);
    if (!audienceOk) return refuse('invalid_token', { error: 'invalid_token', errorDescription: 'The token was not issued for this resource' });
    const missing = missingScopes(verified.scopes, options.requiredScopes, options.scopeHierarchy);
    if (missing.length > 0) {
      return refuse('insufficient_scope', {
        error: 'insufficient_scope',
        errorDescription: 'The token lacks scopes this server requires',
        scopes: options.requiredScopes,
      });
    }
    const cnf = verified.claims['cnf'];
    const jkt = typeof cnf === 'object' && cnf !== null ? (cnf as Record<string, unknown>)['jkt'] : undefined;
    if (cnf !== undefined && (typeof jkt !== 'string' || jkt.length === 0)) {
      // Bound to something this server cannot check (an mTLS certificate, RFC 8705): never a bearer token.
      return refuse('invalid_token', { error: 'invalid_token', errorDescription: 'The token is bound to a key this server cannot check' });
    }
    const caller = callerOf(verified, tokenFor(options.downstream, verified, token));
    const granted = Object.keys(options.scopeHierarchy).length === 0 ? caller.scopes : [...expandScopes(caller.scopes, options.scopeHierarchy)];
    const authInfo = new CallerAuthInfo(verified.expiresAt, caller, granted, urls.resource, urls.resourceMetadata);
    const admission: Admission = Object.freeze({ caller, authInfo, ...(jkt !== undefined && { jkt: jkt as string }) });
    admitted.set(verified, admission);
    return admission;
  };

  /**
   * Judge a verified token as presented. The proof is checked on every request, cached token or not: a cache hit
   * says the token is genuine, never that this request holds its key.
   */
  const admit = (request: Request, credentials: Credentials, verified: VerifiedToken): GateResult | Promise<GateResult> => {
    const refuseAs = credentials.scheme === 'dpop' ? refuseDpop : refuse;
    if (!Number.isFinite(verified.expiresAt) || verified.expiresAt < Date.now() / 1000 - CLOCK_SKEW_SECONDS) {
      return refuseAs('invalid_token', { error: 'invalid_token', errorDescription: 'The token has expired' });
    }
    const admission = admitted.get(verified) ?? judge(verified, credentials.token);
    if ('ok' in admission) return admission;
    const accepted: GateResult = { ok: true, caller: admission.caller, authInfo: admission.authInfo };
    const { jkt } = admission;
    if (credentials.scheme === 'bearer') {
      // RFC 9449 §7.1: a bound token sent as a bearer token is refused, or the binding would protect nothing.
      if (jkt !== undefined)
        return refuseAs('invalid_token', { error: 'invalid_token', errorDescription: 'This token is DPoP-bound: send it with the DPoP scheme and a proof' });
      if (dpop.required) return refuseAs('invalid_token', { error: 'invalid_token', errorDescription: 'This server accepts only DPoP-bound tokens' });
      return accepted;
    }
    if (jkt === undefined) return refuseAs('invalid_token', { error: 'invalid_token', errorDescription: 'The token is not DPoP-bound' });
    return dpop.check(request.headers.get('dpop'), request.method, credentials.token, jkt, urls.resource).then(() => accepted, proofRefusal);
  };

  /**
   * `authorization` is the request's Authorization header, which the HTTP layer has taken off the request, and
   * `contentType` its Content-Type (read once, by the caller, which needs it too). A token the verifier answers
   * from its cache is judged without an await.
   */
  return function gate(request: Request, authorization: string | null, contentType: string | null): GateResult | Promise<GateResult> {
    // RFC 6750 §2.2 form-body tokens are not accepted, and MCP requests are JSON: a form post is refused before
    // any token in it could be mistaken for (or combined with) the header's. Neither may a query string carry one.
    const formPost = contentType !== null && FORM_CONTENT_TYPE.test(contentType);
    if (formPost || (request.url.includes('access_token') && new URL(request.url).searchParams.has('access_token'))) {
      return refuse('malformed', { error: 'invalid_request', errorDescription: 'Access tokens are accepted only in the Authorization header' });
    }
    const credentials = authorizationCredentials(authorization);
    if (credentials === undefined) return refuse('no_token', {});
    const { token } = credentials;
    if (!B64TOKEN.test(token)) {
      return refuse('malformed', { error: 'invalid_request', errorDescription: 'The Authorization header is malformed' });
    }
    let pending: Promise<VerifiedToken>;
    try {
      const cached = verifier.cached?.(token);
      if (verifier.cached) options.onCacheLookup?.(cached ? 'hit' : 'miss');
      if (cached) return admit(request, credentials, cached);
      pending = Promise.resolve(verifier.verify(token));
    } catch (error) {
      return refusal(error, credentials.scheme === 'dpop' ? refuseDpop : refuse); // a custom verifier may throw rather than reject
    }
    return pending.then(
      (verified) => admit(request, credentials, verified),
      (error: unknown) => refusal(error, credentials.scheme === 'dpop' ? refuseDpop : refuse),
    );
  };
}

interface Credentials {
  scheme: 'bearer' | 'dpop';
  token: string;
}

/**
 * The credentials of a Bearer (RFC 6750 §2.1) or DPoP (RFC 9449 §7.1) Authorization header: the scheme, spaces,
 * then one b64token; undefined for any other scheme or none. The token is checked as a b64token afterwards:
 * missing credentials ('') or more than one (a space) fail that check.
 */
function authorizationCredentials(authorization: string | null): Credentials | undefined {
  const value = authorization?.trim();
  if (!value) return undefined;
  const space = value.indexOf(' ');
  const scheme = (space === -1 ? value : value.slice(0, space)).toLowerCase();
  if (scheme !== 'bearer' && scheme !== 'dpop') return undefined;
  return { scheme, token: space === -1 ? '' : value.slice(space + 1).trimStart() };
}

/**
 * `caller.tokenFor`. Each closure is made in a function of its own, capturing only what it uses: closures made in
 * one scope share its variables, so a sibling could otherwise keep the token alive where nothing needs it.
 */
function tokenFor(downstream: ExchangedTokenCache | undefined, verified: VerifiedToken, token: string): Caller['tokenFor'] {
  if (!downstream) return noExchange;
  return downstream.presentsSubjectToken ? exchangePresenting(downstream, verified, token) : exchangeFrom(downstream, verified);
}

async function noExchange(): Promise<string> {
  throw new DownstreamTokenError(
    'unsupported_grant_type',
    'caller.tokenFor() needs token exchange: register the downstream API with `gatehouse resources add` (embedded and federated mode) or give resource() a tokenExchange',
  );
}

function exchangeFrom(downstream: ExchangedTokenCache, verified: VerifiedToken): Caller['tokenFor'] {
  return async (request) => (await downstream.tokenFor({ verified }, request)).accessToken;
}

function exchangePresenting(downstream: ExchangedTokenCache, verified: VerifiedToken, token: string): Caller['tokenFor'] {
  return async (request) => (await downstream.tokenFor({ verified, token }, request)).accessToken;
}

/** The caller of a verified token, frozen: it is shared by every request bearing the token. */
function callerOf(verified: VerifiedToken, exchange: Caller['tokenFor']): Caller {
  return Object.freeze({
    kind: verified.kind ?? 'person',
    subject: verified.subject,
    clientId: verified.clientId,
    ...(verified.clientName !== undefined && { clientName: verified.clientName }),
    scopes: Object.freeze([...verified.scopes]),
    username: verified.username,
    email: verified.email,
    issuer: verified.issuer,
    expiresAt: verified.expiresAt,
    claims: verified.claims,
    ...(verified.upstream && { upstream: verified.upstream }),
    tokenFor: exchange,
  });
}

/**
 * 403 `insufficient_scope` (RFC 6750 §3.1) for a request whose token does not cover what it acts on, naming every
 * scope the request needs so the client can step up in one go. On the DPoP challenge when the request used DPoP.
 */
export function insufficientScope(
  urls: ServerUrls,
  dpop: DpopProofs,
  authorization: string | null | undefined,
  shortfall: { scopes: readonly string[]; description: string },
): Response {
  const schemeUsed = authorization !== null && authorization !== undefined && /^dpop\s/i.test(authorization);
  return challengeResponse({
    error: 'insufficient_scope',
    errorDescription: shortfall.description,
    scopes: shortfall.scopes,
    resourceMetadata: urls.resourceMetadata,
    dpop: { algs: dpop.algorithms, required: dpop.required, schemeUsed },
  });
}
