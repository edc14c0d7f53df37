import * as client from 'openid-client';
import { UpstreamDiscoveryError, UpstreamError, type UpstreamTokens } from './source.js';

/** How long any single request to a provider may take. */
export const UPSTREAM_TIMEOUT_MS = 10_000;

/** Options every openid-client configuration of ours gets: a time limit, and plain http only where allowed. */
export function prepare(config: client.Configuration, plainHttp: boolean, fetchShim?: typeof fetch): client.Configuration {
  if (plainHttp) client.allowInsecureRequests(config);
  config[client.customFetch] = (url, options) => (fetchShim ?? fetch)(url, { ...options, signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) } as RequestInit);
  return config;
}

export function tokensFrom(response: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers, previous?: UpstreamTokens): UpstreamTokens {
  const expiresIn = response.expiresIn();
  return {
    accessToken: response.access_token,
    // Providers that do not rotate refresh tokens leave them out of refresh responses: keep the one we had.
    refreshToken: response.refresh_token ?? previous?.refreshToken,
    ...(expiresIn !== undefined && { expiresAt: Date.now() + expiresIn * 1000 }),
    ...(response.scope !== undefined && { scope: response.scope }),
  };
}

/** Turn whatever openid-client threw into an {@link UpstreamError} that says what the provider did, and no secret. */
export function upstreamFailure(label: string, step: string, error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof client.ResponseBodyError || error instanceof client.AuthorizationResponseError) {
    const description = error.error_description ? `: ${error.error_description}` : '';
    return new UpstreamError(`${label} refused the ${step} (${error.error}${description})`, error.error);
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new UpstreamError(`${label} did not answer the ${step} in time`);
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new UpstreamError(`${label} could not complete the ${step}: ${reason}`);
}

/** Where openid-client reads an issuer's discovery document (OpenID Connect Discovery 1.0 §4). */
function discoveryUrl(issuer: URL): string {
  return `${issuer.href.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

/**
 * Why discovery failed, as something the operator can act on: the provider could not be reached, was too slow,
 * answered with something that is not a discovery document, or names another issuer (OpenID Connect Discovery
 * 1.0 §4.3: the document's `issuer` must be exactly the one asked about).
 */
export function discoveryFailure(label: string, issuer: URL, error: unknown): UpstreamError {
  const at = discoveryUrl(issuer);
  const { name, code, cause } = (error ?? {}) as {
    name?: string;
    code?: string;
    cause?: { code?: string; status?: number; expected?: string; body?: { issuer?: unknown } };
  };
  if (error instanceof TypeError && error.message === 'fetch failed') {
    // fetch() reports network failures as a TypeError whose cause is the socket error.
    if (cause?.code === 'ECONNREFUSED') return new UpstreamDiscoveryError(label, `connection refused at ${at}`, 'unreachable');
    if (cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN')
      return new UpstreamDiscoveryError(label, `${issuer.hostname} does not resolve (DNS)`, 'unreachable');
    return new UpstreamDiscoveryError(label, `${at} could not be reached (${cause?.code ?? 'network error'})`, 'unreachable');
  }
  if (name === 'TimeoutError' || name === 'AbortError') return new UpstreamDiscoveryError(label, `${at} did not answer in time`, 'timeout');
  switch (code) {
    case 'OAUTH_RESPONSE_IS_NOT_CONFORM':
      return new UpstreamDiscoveryError(label, `${at} answered HTTP ${cause?.status ?? '?'}, not an OpenID/OAuth discovery document`, 'not-discovery');
    case 'OAUTH_RESPONSE_IS_NOT_JSON':
    case 'OAUTH_PARSE_ERROR':
      return new UpstreamDiscoveryError(label, `${at} did not answer JSON, so it is not an OpenID/OAuth discovery document`, 'not-discovery');
    case 'OAUTH_INVALID_RESPONSE': {
      // openid-client wraps the check that failed (`"response" body "issuer" property must be a string`).
      const why = (cause as { message?: string } | undefined)?.message ?? (error as Error).message;
      return new UpstreamDiscoveryError(label, `${at} is not an OpenID/OAuth discovery document (${why.replace(/^"response" body /, '')})`, 'not-discovery');
    }
    case 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED': {
      const published = String(cause?.body?.issuer);
      return new UpstreamDiscoveryError(label, `${at} names the issuer "${published}", not "${cause?.expected ?? issuer.href}"`, 'issuer-mismatch', published);
    }
    default:
      return upstreamFailure(label, 'discovery', error);
  }
}

/**
 * A probe of the provider's authorization endpoint with our callback: providers answer an unregistered
 * redirect URI or an unknown client with an error page instead of their sign-in page.
 */
export async function probeAuthorization(label: string, url: URL, redirectUri: string): Promise<string[]> {
  try {
    const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) });
    const location = response.headers.get('location');
    const error = location ? new URL(location, url).searchParams.get('error') : null;
    if (error) return [`${label} refused a sign-in with callback ${redirectUri} (${error}): register exactly this URL in the app's settings`];
    if (response.status >= 400) {
      const text = (await response.text())
        .replace(/<[^>]*>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()
        .slice(0, 200);
      return [
        `${label} answered ${response.status} to a sign-in with callback ${redirectUri}: check the client id and that exactly this callback URL is registered (${text})`,
      ];
    }
    return [];
  } catch (error) {
    return [`${label} could not be reached to check the configuration: ${(error as Error).message}`];
  }
}

export { client };
