import { codeFlow } from './code-flow.js';
import { client, prepare, probeAuthorization, UPSTREAM_TIMEOUT_MS } from './oauth-client.js';
import { isPlainHttp, requireSecureUrl, UpstreamError, type Memberships, type UpstreamIdentity, type UpstreamOptions, type UpstreamSource } from './source.js';

export interface GitHubOptions extends UpstreamOptions {
  /** GitHub's web origin (GitHub Enterprise Server: your server). Default `https://github.com`. */
  webUrl?: string;
  /** The REST API. Default `https://api.github.com`, or `<webUrl>/api/v3` for GitHub Enterprise Server. */
  apiUrl?: string;
  label?: string;
}

/** Lists are read 100 at a time, up to this many pages (10,000 organisations or teams). */
const MAX_PAGES = 100;

/** GitHub refuses API requests that carry no User-Agent. */
const API_HEADERS = { Accept: 'application/vnd.github+json', 'User-Agent': 'gatehouse', 'X-GitHub-Api-Version': '2022-11-28' };

/**
 * GitHub OAuth apps (and GitHub Apps' user tokens). Not OpenID Connect: there is no ID token, so the identity
 * comes from the API — the numeric user id (stable; logins can be renamed) and the primary verified email.
 * Tokens may or may not expire, depending on the app's settings; both kinds work.
 */
export function github(options: GitHubOptions): UpstreamSource {
  const web = requireSecureUrl(options.webUrl ?? 'https://github.com', 'the GitHub web URL');
  const api = requireSecureUrl(options.apiUrl ?? (web.host === 'github.com' ? 'https://api.github.com' : `${web.origin}/api/v3`), 'the GitHub API URL');
  const apiBase = api.href.replace(/\/$/, '');
  const label = options.label ?? 'GitHub';
  const scopes = options.scopes ?? ['read:user', 'user:email'];
  const configuration = prepare(
    new client.Configuration(
      {
        issuer: web.origin,
        authorization_endpoint: `${web.origin}/login/oauth/authorize`,
        token_endpoint: `${web.origin}/login/oauth/access_token`,
      },
      options.clientId,
      undefined,
      client.ClientSecretPost(options.clientSecret),
    ),
    isPlainHttp(web) || isPlainHttp(api),
    errorsAsErrors,
  );
  const flow = codeFlow(async () => configuration, {
    label,
    scopes,
    extraAuthorizeParams: options.extraAuthorizeParams,
    forwardResource: options.forwardResource,
    openid: false,
  });

  async function apiGet<T>(path: string, accessToken: string): Promise<T> {
    const response = await fetch(`${apiBase}${path}`, {
      headers: { ...API_HEADERS, Authorization: `Bearer ${accessToken}` },
      signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
    });
    if (!response.ok) throw new UpstreamError(`${label} API ${path} answered ${response.status}`);
    return (await response.json()) as T;
  }

  /** Every page of a list endpoint: GitHub pages by `page`, and a short page is the last. */
  async function apiGetAll<T>(path: string, accessToken: string): Promise<T[]> {
    const all: T[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const items = await apiGet<T[]>(`${path}?per_page=100&page=${page}`, accessToken);
      if (!Array.isArray(items)) throw new UpstreamError(`${label} API ${path} did not answer with a list`);
      all.push(...items);
      if (items.length < 100) return all;
    }
    throw new UpstreamError(`${label} API ${path} has more than ${MAX_PAGES} pages`);
  }

  async function membershipsOf(accessToken: string): Promise<Memberships> {
    // Both lists need read:org (without it GitHub leaves private memberships out); a failed call refuses the sign-in.
    const organizations = await apiGetAll<{ login?: unknown }>('/user/orgs', accessToken);
    const teams = await apiGetAll<{ slug?: unknown; organization?: { login?: unknown } }>('/user/teams', accessToken);
    return {
      organizations: organizations.flatMap((o) => (typeof o.login === 'string' ? [o.login] : [])),
      teams: teams.flatMap((t) => (typeof t.slug === 'string' && typeof t.organization?.login === 'string' ? [`${t.organization.login}/${t.slug}`] : [])),
    };
  }

  async function identityOf(accessToken: string): Promise<UpstreamIdentity> {
    const user = await apiGet<{ id: number; login: string; name?: string | null; email?: string | null }>('/user', accessToken);
    if (typeof user.id !== 'number') throw new UpstreamError(`${label} returned a user without an id`);
    // The profile email is whatever the person made public; /user/emails says which address GitHub verified.
    const emails = await apiGet<{ email: string; primary: boolean; verified: boolean }[]>('/user/emails', accessToken).catch(() => []);
    const verified = emails.find((e) => e.primary && e.verified) ?? emails.find((e) => e.verified);
    const email = verified?.email ?? user.email ?? undefined;
    return {
      subject: String(user.id),
      ...(email && { email }),
      emailVerified: verified !== undefined,
      username: user.login,
      ...(user.name && { name: user.name }),
    };
  }

  return {
    name: 'github',
    label,
    scopes,
    uniqueUsernames: true,
    memberships: (tokens) => membershipsOf(tokens.accessToken),
    authorizationUrl: (request) => flow.authorizationUrl(request),
    complete: (request) => flow.complete(request, (response) => identityOf(response.access_token)),
    async refresh(refreshToken) {
      try {
        return await flow.refresh(refreshToken);
      } catch (error) {
        // GitHub's word for a spent or revoked refresh token: the person has to sign in again.
        throw error instanceof UpstreamError && error.code === 'bad_refresh_token' ? new UpstreamError(error.message, 'invalid_grant') : error;
      }
    },
    async revoke(tokens) {
      // Deleting the app authorization revokes every token GitHub issued to this person for this app.
      const response = await fetch(`${apiBase}/applications/${encodeURIComponent(options.clientId)}/grant`, {
        method: 'DELETE',
        headers: {
          ...API_HEADERS,
          'Content-Type': 'application/json',
          Authorization: `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`,
        },
        body: JSON.stringify({ access_token: tokens.accessToken }),
        signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
      });
      if (!response.ok && response.status !== 404) throw new UpstreamError(`${label} answered ${response.status} to the revocation`);
    },
    check: async (redirectUri) => probeAuthorization(label, await flow.probeUrl(redirectUri), redirectUri),
  };
}

/**
 * GitHub answers token-endpoint errors with 200 and an `error` member. Give such answers an error status so the
 * OAuth client reports the provider's error code instead of a missing access token.
 */
const errorsAsErrors: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  if (response.status !== 200 || !response.headers.get('content-type')?.includes('json')) return response;
  const body = await response.text();
  let status = 200;
  try {
    const parsed = JSON.parse(body) as { error?: unknown; access_token?: unknown };
    if (typeof parsed.error === 'string' && parsed.access_token === undefined) status = 400;
  } catch {
    // Not JSON after all: leave the answer for the OAuth client to reject.
  }
  return new Response(body, { status, headers: response.headers });
};
