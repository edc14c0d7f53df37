import { BodyTooLargeError, isTimeout, networkFailureDetail, readCapped } from '../../util/fetch-failure.js';
import { parseJsonObject } from '../../util/json-object.js';
import { type DownstreamToken, DownstreamTokenError } from '../downstream.js';

/** A token answer is a few kilobytes; past this it is not one. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** When the server does not say how long its token lives: short, so the cache does not keep it long. */
const ASSUMED_LIFETIME_SECONDS = 60;
/** RFC 6749 §5.2: `error` is printable ASCII without `"` and `\`. */
const ERROR_CODE = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/;
const MAX_DESCRIPTION_CHARS = 1000;

export interface TokenRequest {
  tokenEndpoint: string;
  headers: Record<string, string>;
  body: URLSearchParams;
  timeoutMs: number;
  /** What was asked for: the token's scopes when the answer names none. */
  requestedScopes: readonly string[];
  /** The subject token, the client secret: never in an error message, even when the server echoes them. */
  secrets: readonly string[];
}

/**
 * POST one token request and read the answer (RFC 6749 §5.1, RFC 8693 §2.2): a bearer `access_token`, or the
 * server's OAuth error kept as it gave it. A server that cannot be asked (no answer, no answer in time, 5xx, not
 * JSON) is `temporarily_unavailable`.
 */
export async function requestToken(request: TokenRequest): Promise<DownstreamToken> {
  const url = new URL(request.tokenEndpoint);
  const where = `${url.origin}${url.pathname}`; // never a query string
  const unavailable = (what: string, cause?: unknown) =>
    new DownstreamTokenError('temporarily_unavailable', `The token endpoint ${where} ${what}`, {
      description: 'The authorization server could not be asked for a token right now',
      ...(cause !== undefined && { cause }),
    });
  const signal = AbortSignal.timeout(request.timeoutMs);
  let status: number;
  let text: string;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...request.headers },
      body: request.body,
      redirect: 'error',
      signal,
    });
    status = response.status;
    if (status >= 500) {
      await response.body?.cancel();
      throw unavailable(`answered HTTP ${status}`);
    }
    text = await readCapped(response, MAX_ANSWER_BYTES);
  } catch (error) {
    if (error instanceof DownstreamTokenError) throw error;
    if (isTimeout(error)) throw unavailable(`did not answer within ${request.timeoutMs} ms`, error);
    if (error instanceof BodyTooLargeError) throw unavailable(`answered with more than ${MAX_ANSWER_BYTES} bytes`);
    throw unavailable(`could not be reached (${networkFailureDetail(error)})`, error);
  }

  const answer = parseJsonObject(text);
  if (status !== 200) {
    const code = answer?.['error'];
    if (typeof code !== 'string' || !ERROR_CODE.test(code)) throw unavailable(`answered HTTP ${status} without an OAuth error`);
    const description = cleanText(answer?.['error_description'], request.secrets);
    // The server's own words: the tool (and the person behind it) learns what to do, e.g. consent first.
    throw new DownstreamTokenError(code, description ?? `The authorization server refused the token exchange (${code})`, { status: 400 });
  }
  if (answer === undefined) throw unavailable('answered with something that is not a JSON object');
  return downstreamToken(answer, request.requestedScopes, unavailable);
}

function downstreamToken(answer: Record<string, unknown>, requestedScopes: readonly string[], unavailable: (what: string) => Error): DownstreamToken {
  const accessToken = answer['access_token'];
  if (typeof accessToken !== 'string' || accessToken.length === 0) throw unavailable('answered without an access_token');
  const tokenType = answer['token_type'];
  // A DPoP- or otherwise bound token would fail at the downstream API, sent as a bearer token.
  if (tokenType !== undefined && (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')) {
    throw unavailable(`answered a token of type ${String(tokenType).slice(0, 40)}, not a bearer token`);
  }
  const expiresIn = seconds(answer['expires_in']);
  if (expiresIn === null) throw unavailable('answered an expires_in that is not a number of seconds');
  const scope = answer['scope'];
  if (scope !== undefined && typeof scope !== 'string') throw unavailable('answered a scope that is not a string');
  return {
    accessToken,
    expiresAt: Math.floor(Date.now() / 1000) + (expiresIn ?? ASSUMED_LIFETIME_SECONDS),
    scopes: Object.freeze(scope !== undefined ? scope.split(' ').filter(Boolean) : [...requestedScopes]),
  };
}

/** `expires_in`: absent (undefined), a non-negative number of seconds (some servers send it as a string), or wrong (null). */
function seconds(value: unknown): number | undefined | null {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.floor(n) : null;
}

/** A server's description, on one line, bounded, with anything secret it echoed cut out. */
function cleanText(value: unknown, secrets: readonly string[]): string | undefined {
  if (typeof value !== 'string') return undefined;
  let text = value;
  for (const secret of secrets) if (secret.length > 0) text = text.split(secret).join('[redacted]');
  text = text.replace(/\p{Cc}+/gu, ' ').trim();
  if (text.length === 0) return undefined;
  return text.length > MAX_DESCRIPTION_CHARS ? `${text.slice(0, MAX_DESCRIPTION_CHARS)}…` : text;
}
