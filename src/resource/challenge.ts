/**
 * `WWW-Authenticate: Bearer …` challenges (RFC 6750 §3, RFC 9728 §5.1), the `DPoP …` challenge beside them
 * (RFC 9449 §7.1), and the 400/401/403 answers that carry them. One builder, so every challenge has the same
 * shape: error first, then description, scope, resource_metadata (then `algs` for DPoP).
 */

export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope';
export type DpopError = 'invalid_dpop_proof' | 'use_dpop_nonce';

export interface DpopChallenge {
  /** The proof algorithms accepted (`algs`). */
  algs: readonly string[];
  /** DPoP is required: the DPoP challenge is the only one, and carries what the Bearer one would. */
  required?: boolean;
  /** The request used the DPoP scheme: a token error goes on the DPoP challenge (RFC 9449 §7.1). */
  schemeUsed?: boolean;
  /** A fresh nonce, sent as `DPoP-Nonce` (RFC 9449 §9). */
  nonce?: string;
}

export interface ChallengeParams {
  error?: BearerError | DpopError;
  errorDescription?: string;
  scopes?: readonly string[];
  resourceMetadata?: string;
  /** Also challenge for DPoP (RFC 9449 §7.1). */
  dpop?: DpopChallenge;
}

/** Quote an auth-param value: escape `\` and `"`, replace anything outside printable ASCII. */
function quoted(value: string): string {
  return `"${value.replace(/[^\x20-\x7E]/g, ' ').replace(/["\\]/g, '\\$&')}"`;
}

/** RFC 6750 §3: error, error_description and scope hold only %x20-21 / %x23-5B / %x5D-7E; anything else becomes a space. */
function bearerValue(value: string): string {
  return `"${value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, ' ')}"`;
}

export function bearerChallenge(params: ChallengeParams): string {
  return `Bearer${authParams(params)}`;
}

/** The auth-params of a challenge, with a leading space when there are any. */
function authParams(params: ChallengeParams, algs?: readonly string[]): string {
  const parts: string[] = [];
  if (params.error) parts.push(`error=${bearerValue(params.error)}`);
  if (params.errorDescription) parts.push(`error_description=${bearerValue(params.errorDescription)}`);
  if (params.scopes && params.scopes.length > 0) parts.push(`scope=${bearerValue(params.scopes.join(' '))}`);
  if (params.resourceMetadata) parts.push(`resource_metadata=${quoted(params.resourceMetadata)}`);
  if (algs) parts.push(`algs=${bearerValue(algs.join(' '))}`);
  return parts.length > 0 ? ` ${parts.join(', ')}` : '';
}

const isDpopError = (error: ChallengeParams['error']): error is DpopError => error === 'invalid_dpop_proof' || error === 'use_dpop_nonce';

/**
 * The whole `WWW-Authenticate` value: the Bearer challenge, then the DPoP one. An error goes on the challenge of
 * the scheme it concerns; when DPoP is required the DPoP challenge stands alone, with the discovery parameters.
 */
export function challengeHeader(params: ChallengeParams): string {
  const { dpop } = params;
  if (!dpop) return bearerChallenge(params);
  const errorOnDpop = dpop.required === true || dpop.schemeUsed === true || isDpopError(params.error);
  const withoutError = { ...params, error: undefined, errorDescription: undefined };
  const dpopParams = dpop.required ? params : errorOnDpop ? { error: params.error, errorDescription: params.errorDescription } : {};
  const dpopChallenge = `DPoP${authParams(dpopParams, dpop.algs)}`;
  if (dpop.required) return dpopChallenge;
  return `${bearerChallenge(errorOnDpop ? withoutError : params)}, ${dpopChallenge}`;
}

const STATUS: Record<BearerError | DpopError, number> = {
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  invalid_dpop_proof: 401,
  use_dpop_nonce: 401,
};

/** The HTTP answer for a refused request: the challenge header plus an OAuth error body. */
export function challengeResponse(params: ChallengeParams): Response {
  const status = params.error ? STATUS[params.error] : 401;
  const body = params.error
    ? { error: params.error, error_description: params.errorDescription }
    : { error: 'unauthorized', error_description: params.errorDescription ?? 'This MCP server requires an OAuth access token' };
  const headers: Record<string, string> = { 'WWW-Authenticate': challengeHeader(params), 'Cache-Control': 'no-store' };
  if (params.dpop?.nonce) headers['DPoP-Nonce'] = params.dpop.nonce;
  return Response.json(body, { status, headers });
}
