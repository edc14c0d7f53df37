import * as client from 'openid-client';
import { UpstreamError, type UpstreamTokens } from './source.js';

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
