/**
 * `WWW-Authenticate: Bearer …` challenges (RFC 6750 §3, RFC 9728 §5.1) and the 400/401/403 answers that carry them.
 * One builder, so every challenge has the same shape: error first, then description, scope, resource_metadata.
 */

export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

export interface ChallengeParams {
  error?: BearerError;
  errorDescription?: string;
  scopes?: readonly string[];
  resourceMetadata?: string;
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
  const parts: string[] = [];
  if (params.error) parts.push(`error=${bearerValue(params.error)}`);
  if (params.errorDescription) parts.push(`error_description=${bearerValue(params.errorDescription)}`);
  if (params.scopes && params.scopes.length > 0) parts.push(`scope=${bearerValue(params.scopes.join(' '))}`);
  if (params.resourceMetadata) parts.push(`resource_metadata=${quoted(params.resourceMetadata)}`);
  return parts.length > 0 ? `Bearer ${parts.join(', ')}` : 'Bearer';
}

const STATUS: Record<BearerError, number> = { invalid_request: 400, invalid_token: 401, insufficient_scope: 403 };

/** The HTTP answer for a refused request: the challenge header plus an OAuth error body. */
export function challengeResponse(params: ChallengeParams): Response {
  const status = params.error ? STATUS[params.error] : 401;
  const body = params.error
    ? { error: params.error, error_description: params.errorDescription }
    : { error: 'unauthorized', error_description: params.errorDescription ?? 'This MCP server requires an OAuth access token' };
  return Response.json(body, {
    status,
    headers: { 'WWW-Authenticate': bearerChallenge(params), 'Cache-Control': 'no-store' },
  });
}
