import { noteSecretSource } from './leak-record.js';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface GitHubUser {
  id: number;
  login: string;
  name?: string;
  /** The public profile email (what `GET /user` shows); often null on real accounts. */
  email?: string | null;
  emails?: { email: string; primary: boolean; verified: boolean; visibility?: string | null }[];
  repos?: { name: string; private?: boolean; description?: string }[];
  /** Organisations the user is an active member of (logins). */
  orgs?: string[];
  /** Teams the user belongs to, as `<org>/<team-slug>`. */
  teams?: string[];
}

export interface GitHubFixtureOptions {
  clientId: string;
  clientSecret: string;
  /** The only redirect_uri accepted (GitHub compares with the app's registered callback URL). */
  callbackUrl?: string;
  /**
   * When true, tokens expire (GitHub "expiring user tokens"): token responses carry expires_in, refresh_token,
   * refresh_token_expires_in. Default false (tokens never expire, no refresh token).
   */
  expiringTokens?: boolean;
  accessTokenTtlSeconds?: number;
}

export interface GitHubFixture {
  /** Web endpoints (`/login/oauth/...`) are at the root of this origin. */
  url: string;
  /** `${url}/api`: the REST API endpoints are under it. */
  apiUrl: string;
  setCallbackUrl(url: string): void;
  addUser(user: GitHubUser): void;
  /** Make the token for this access token string expire now (so the API answers 401 Bad credentials). */
  expireAccessToken(token: string): void;
  expireAllAccessTokens(): void;
  /** `authorizeRequests` counts GET /login/oauth/authorize; `apiCalls` counts every request under /api. */
  stats: { authorizeRequests: number; codeGrants: number; refreshGrants: number; revocations: number; apiCalls: number };
  /** Every access and refresh token string the fixture ever issued, and the client secret; for leak scans. */
  secrets(): string[];
  /** Whether any issued access token for this user is still valid (not revoked/expired). */
  hasLiveToken(login: string): boolean;
  close(): Promise<void>;
}

const CODE_TTL_MS = 10 * 60 * 1000;
/** Six months, what GitHub documents (and sends) for refresh tokens. */
const REFRESH_TOKEN_TTL_SECONDS = 15_811_200;
const TOKEN_ERRORS_DOC = 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors';
const TOKEN_ERRORS: Record<string, string> = {
  incorrect_client_credentials: 'The client_id and/or client_secret passed are incorrect.',
  bad_verification_code: 'The code passed is incorrect or expired.',
  redirect_uri_mismatch: 'The redirect_uri MUST match the registered callback URL for this application.',
  bad_refresh_token: 'The refresh token passed is incorrect or expired.',
  unsupported_grant_type: 'The grant type is not supported.',
};
const BAD_CREDENTIALS = { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' };
const INSUFFICIENT_SCOPES = { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest', status: '403' };
const NOT_FOUND = { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' };
const NO_USER_AGENT = {
  message:
    'Request forbidden by administrative rules. Please make sure your request has a User-Agent header ' +
    '(https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). ' +
    'Check https://developer.github.com for other possible causes.',
};

/** What a user granted an app: a code, token or refresh token carries one. */
interface Grant {
  login: string;
  clientId: string;
  scopes: string[];
}
interface CodeRecord extends Grant {
  redirectUri: string;
  codeChallenge?: string;
  expiresAt: number;
  used: boolean;
}
interface AccessTokenRecord extends Grant {
  /** Absent for GitHub's default, non-expiring OAuth app tokens. */
  expiresAt?: number;
  revoked: boolean;
}
interface RefreshTokenRecord extends Grant {
  expiresAt: number;
  used: boolean;
  revoked: boolean;
}
interface AuthorizeRequest {
  redirectUri: string;
  state?: string;
  scopes: string[];
  codeChallenge?: string;
}

/**
 * A local stand-in for GitHub's OAuth app endpoints and REST API, with GitHub's quirks kept: token endpoint
 * errors come with HTTP 200, answers are form-encoded unless JSON is asked for, the API refuses requests
 * without a User-Agent, `/user/emails` answers 404 without the right scope, and a returning user who already
 * authorized the app is sent straight back with a code, without any screen.
 */
export async function startGitHubFixture(options: GitHubFixtureOptions): Promise<GitHubFixture> {
  const ttlSeconds = options.accessTokenTtlSeconds ?? 28_800;
  let callbackUrl = options.callbackUrl;
  const users = new Map<string, GitHubUser>();
  const sessions = new Map<string, string>();
  /** `login\0client_id` → every scope the user has granted that app so far. */
  const authorizations = new Map<string, Set<string>>();
  const codes = new Map<string, CodeRecord>();
  const accessTokens = new Map<string, AccessTokenRecord>();
  const refreshTokens = new Map<string, RefreshTokenRecord>();
  const stats = { authorizeRequests: 0, codeGrants: 0, refreshGrants: 0, revocations: 0, apiCalls: 0 };

  // GitHub logins are case-insensitive.
  const userOf = (login: string | null | undefined) => (login ? users.get(login.toLowerCase()) : undefined);
  const authorizationKey = (login: string, clientId: string) => `${login.toLowerCase()}\0${clientId}`;
  const isLive = (t: AccessTokenRecord) => !t.revoked && (t.expiresAt === undefined || t.expiresAt > Date.now());

  function authorizedFor(login: string, scopes: string[]): boolean {
    const granted = authorizations.get(authorizationKey(login, options.clientId));
    return granted !== undefined && scopes.every((s) => granted.has(s));
  }

  /** Validate what GET and POST /login/oauth/authorize share; on failure the answer is written and undefined returned. */
  function checkAuthorizeRequest(params: URLSearchParams, res: ServerResponse): AuthorizeRequest | undefined {
    if (params.get('client_id') !== options.clientId) {
      sendHtml(res, 404, page('Page not found', '<p>This is not the web page you are looking for.</p>'));
      return undefined;
    }
    if (!callbackUrl) {
      sendHtml(res, 500, page('Fixture misconfigured', '<p>No callback URL: call setCallbackUrl() first.</p>'));
      return undefined;
    }
    const state = params.get('state') ?? undefined;
    // GitHub itself also allows sub-paths of the callback URL; exact equality is the stricter subset of that.
    const redirectUri = params.get('redirect_uri') ?? callbackUrl;
    if (redirectUri !== callbackUrl) {
      // GitHub does send this error to the registered callback, not to the redirect_uri asked for.
      redirect(res, callbackUrl, {
        error: 'redirect_uri_mismatch',
        error_description: 'The redirect_uri MUST match the registered callback URL for this application.',
        error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch',
        state,
      });
      return undefined;
    }
    const codeChallenge = params.get('code_challenge') || undefined;
    if (codeChallenge && params.get('code_challenge_method') !== 'S256') {
      redirect(res, redirectUri, { error: 'invalid_request', error_description: 'code_challenge_method must be S256.', state });
      return undefined;
    }
    return { redirectUri, state, scopes: parseScopes(params.get('scope')), codeChallenge };
  }

  function issueCode(login: string, request: AuthorizeRequest): string {
    const code = randomBytes(10).toString('hex');
    codes.set(code, {
      login,
      clientId: options.clientId,
      scopes: request.scopes,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      expiresAt: Date.now() + CODE_TTL_MS,
      used: false,
    });
    return code;
  }

  function authorizePage(params: URLSearchParams, request: AuthorizeRequest, prefill: string, error?: string): string {
    const hidden = [...params]
      .filter(([name]) => name !== 'login' && name !== 'decision')
      .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
      .join('\n');
    return page(
      'Authorize application',
      `${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<p>Application <strong>${escapeHtml(options.clientId)}</strong> asks for: ${escapeHtml(request.scopes.join(', ') || '(public information only)')}</p>
<form method="post" action="/login/oauth/authorize">
${hidden}
<label for="login">Username</label>
<input type="text" id="login" name="login" value="${escapeHtml(prefill)}">
<button type="submit" name="decision" value="authorize" id="authorize">Authorize</button>
<button type="submit" name="decision" value="cancel" id="cancel">Cancel</button>
</form>`,
    );
  }

  function authorizeGet(req: IncomingMessage, res: ServerResponse, params: URLSearchParams): void {
    stats.authorizeRequests += 1;
    const request = checkAuthorizeRequest(params, res);
    if (!request) return;
    const sessionUser = userOf(sessions.get(cookie(req, 'gh_session') ?? ''));
    // Fixture convenience for browserless tests: on GitHub, `login` only suggests an account. Here, naming a
    // user who already authorized this app counts as being signed in as them, as if the browser had the cookie.
    const hinted = userOf(params.get('login'));
    const returning = hinted && authorizations.has(authorizationKey(hinted.login, options.clientId)) ? hinted : sessionUser;
    if (returning && authorizedFor(returning.login, request.scopes)) {
      // GitHub shows nothing to a returning user whose grant already covers the scopes asked for.
      redirect(res, request.redirectUri, { code: issueCode(returning.login, request), state: request.state });
      return;
    }
    sendHtml(res, 200, authorizePage(params, request, sessionUser?.login ?? params.get('login') ?? ''));
  }

  async function authorizePost(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const params = new URLSearchParams(await readBody(req));
    const request = checkAuthorizeRequest(params, res);
    if (!request) return;
    const decision = params.get('decision');
    if (decision === 'cancel') {
      redirect(res, request.redirectUri, {
        error: 'access_denied',
        error_description: 'The user has denied your application access.',
        error_uri: 'https://docs.github.com/apps/troubleshooting-authorization-requests#access-denied',
        state: request.state,
      });
      return;
    }
    if (decision !== 'authorize') {
      sendHtml(res, 400, page('Bad request', '<p>Unknown decision.</p>'));
      return;
    }
    const user = userOf(params.get('login'));
    if (!user) {
      sendHtml(res, 200, authorizePage(params, request, params.get('login') ?? '', 'Incorrect username or password.'));
      return;
    }
    const session = randomBytes(24).toString('base64url');
    sessions.set(session, user.login);
    const key = authorizationKey(user.login, options.clientId);
    authorizations.set(key, new Set([...(authorizations.get(key) ?? []), ...request.scopes]));
    redirect(
      res,
      request.redirectUri,
      { code: issueCode(user.login, request), state: request.state },
      { 'set-cookie': `gh_session=${session}; Path=/; HttpOnly; SameSite=Lax` },
    );
  }

  function issueTokens(grant: Grant): Record<string, string | number> {
    const base: Grant = { login: grant.login, clientId: grant.clientId, scopes: [...grant.scopes] };
    const accessToken = `gho_${randomAlphanumeric(36)}`;
    const scope = base.scopes.join(',');
    if (!options.expiringTokens) {
      accessTokens.set(accessToken, { ...base, revoked: false });
      return { access_token: accessToken, token_type: 'bearer', scope };
    }
    accessTokens.set(accessToken, { ...base, expiresAt: Date.now() + ttlSeconds * 1000, revoked: false });
    const refreshToken = `ghr_${randomAlphanumeric(76)}`;
    refreshTokens.set(refreshToken, { ...base, expiresAt: Date.now() + REFRESH_TOKEN_TTL_SECONDS * 1000, used: false, revoked: false });
    return {
      access_token: accessToken,
      expires_in: ttlSeconds,
      refresh_token: refreshToken,
      refresh_token_expires_in: REFRESH_TOKEN_TTL_SECONDS,
      scope,
      token_type: 'bearer',
    };
  }

  async function tokenEndpoint(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const params = parseBody(req, await readBody(req));
    const answer = (body: Record<string, string | number>) => sendTokenAnswer(req, res, body);
    const fail = (error: string) =>
      answer({ error, error_description: TOKEN_ERRORS[error] ?? error, error_uri: `${TOKEN_ERRORS_DOC}/#${error.replace(/_/g, '-')}` });

    if (!clientAuthenticated(req, params, options)) return fail('incorrect_client_credentials');
    // GitHub predates grant_type on this endpoint and still treats a request without it as a code exchange.
    const grantType = params.get('grant_type') || 'authorization_code';
    if (grantType === 'authorization_code') {
      const record = codes.get(params.get('code') ?? '');
      if (!record || record.used || record.expiresAt <= Date.now() || record.clientId !== options.clientId) {
        return fail('bad_verification_code');
      }
      const redirectUri = params.get('redirect_uri');
      if (redirectUri && redirectUri !== record.redirectUri) return fail('redirect_uri_mismatch');
      // A verifier sent for a code issued without a challenge is ignored, as GitHub does.
      if (record.codeChallenge) {
        const verifier = params.get('code_verifier');
        if (!verifier || createHash('sha256').update(verifier).digest('base64url') !== record.codeChallenge) {
          return fail('bad_verification_code');
        }
      }
      // Only a successful exchange spends the code.
      record.used = true;
      stats.codeGrants += 1;
      return answer(issueTokens(record));
    }
    if (grantType === 'refresh_token') {
      // Without expiringTokens no refresh token exists, so every attempt lands here.
      const record = refreshTokens.get(params.get('refresh_token') ?? '');
      if (!record || record.used || record.revoked || record.expiresAt <= Date.now() || record.clientId !== options.clientId) {
        return fail('bad_refresh_token');
      }
      // Rotation: the refresh token is spent; the access token it came with lives on until its own expiry.
      record.used = true;
      stats.refreshGrants += 1;
      return answer(issueTokens(record));
    }
    return fail('unsupported_grant_type');
  }

  /** Revoke everything a user holds for the app and forget the authorization, as deleting the grant does. */
  function revokeGrant(login: string, clientId: string): void {
    const mine = (g: Grant) => g.login === login && g.clientId === clientId;
    for (const t of accessTokens.values()) if (mine(t)) t.revoked = true;
    for (const t of refreshTokens.values()) if (mine(t)) t.revoked = true;
    for (const c of codes.values()) if (mine(c)) c.used = true;
    authorizations.delete(authorizationKey(login, clientId));
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    stats.apiCalls += 1;
    if (!req.headers['user-agent']) return sendJson(res, 403, NO_USER_AGENT);
    const path = url.pathname.slice('/api'.length);

    // DELETE /applications/{client_id}/grant (the whole authorization) or .../token (that one token).
    const appMatch = /^\/applications\/([^/]+)\/(grant|token)$/.exec(path);
    if (appMatch && req.method === 'DELETE') {
      const body = parseBody(req, await readBody(req));
      const credentials = basicCredentials(req);
      // GitHub answers 404, not 401, when the app's credentials are wrong here.
      if (decodeURIComponent(appMatch[1]!) !== options.clientId || !credentials || !credentialsMatch(credentials, options)) {
        return sendJson(res, 404, NOT_FOUND);
      }
      const token = body.get('access_token') ?? '';
      const record = accessTokens.get(token);
      if (!record || record.revoked || record.clientId !== options.clientId) return sendJson(res, 404, NOT_FOUND);
      if (appMatch[2] === 'grant') revokeGrant(record.login, record.clientId);
      else record.revoked = true;
      stats.revocations += 1;
      res.writeHead(204).end();
      return;
    }

    if (req.method !== 'GET' || !['/user', '/user/emails', '/user/repos', '/user/orgs', '/user/teams'].includes(path)) return sendJson(res, 404, NOT_FOUND);
    const token = /^(?:bearer|token)\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const record = token ? accessTokens.get(token) : undefined;
    const user = record && isLive(record) ? userOf(record.login) : undefined;
    if (!record || !user) return sendJson(res, 401, BAD_CREDENTIALS);
    res.setHeader('x-oauth-scopes', record.scopes.join(', '));

    if (path === '/user') {
      return sendJson(res, 200, {
        login: user.login,
        id: user.id,
        node_id: Buffer.from(`04:User${user.id}`).toString('base64'),
        avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
        html_url: `https://github.com/${user.login}`,
        name: user.name ?? null,
        email: user.email ?? null,
        type: 'User',
        public_repos: (user.repos ?? []).filter((r) => !r.private).length,
      });
    }
    if (path === '/user/emails') {
      // GitHub hides the endpoint (404, not 403) from tokens without an email scope.
      if (!record.scopes.includes('user:email') && !record.scopes.includes('user')) return sendJson(res, 404, NOT_FOUND);
      return sendJson(
        res,
        200,
        (user.emails ?? []).map((e) => ({ email: e.email, primary: e.primary, verified: e.verified, visibility: e.visibility ?? null })),
      );
    }
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page')) || 30));
    const pageNumber = Math.max(1, Number(url.searchParams.get('page')) || 1);
    const paged = <T>(items: T[]) => items.slice((pageNumber - 1) * perPage, pageNumber * perPage);
    if (path === '/user/orgs' || path === '/user/teams') {
      // Membership lists need an org scope; GitHub refuses the team list without one (403, as here for both).
      if (!record.scopes.some((s) => ['read:org', 'write:org', 'admin:org'].includes(s))) return sendJson(res, 403, INSUFFICIENT_SCOPES);
      if (path === '/user/orgs') {
        return sendJson(res, 200, paged((user.orgs ?? []).map((login, index) => ({ login, id: 9000 + index, url: `${url.origin}/api/orgs/${login}` }))));
      }
      return sendJson(
        res,
        200,
        paged(
          (user.teams ?? []).map((team, index) => {
            const [org, slug] = team.split('/');
            return { id: 7000 + index, slug, name: slug, organization: { login: org } };
          }),
        ),
      );
    }
    const repos = (user.repos ?? []).map((repo, index) => ({
      id: user.id * 1000 + index + 1,
      name: repo.name,
      full_name: `${user.login}/${repo.name}`,
      private: repo.private ?? false,
      html_url: `https://github.com/${user.login}/${repo.name}`,
      description: repo.description ?? null,
    }));
    return sendJson(res, 200, paged(repos));
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route =
      url.pathname === '/api' || url.pathname.startsWith('/api/')
        ? api(req, res, url)
        : url.pathname === '/login/oauth/authorize' && req.method === 'GET'
          ? authorizeGet(req, res, url.searchParams)
          : url.pathname === '/login/oauth/authorize' && req.method === 'POST'
            ? authorizePost(req, res)
            : url.pathname === '/login/oauth/access_token' && req.method === 'POST'
              ? tokenEndpoint(req, res)
              : sendHtml(res, 404, page('Page not found', '<p>Not found.</p>'));
    Promise.resolve(route).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { message: String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  // Every token this fixture hands out is a secret the post-suite leak scan looks for.
  noteSecretSource(() => [...accessTokens.keys(), ...refreshTokens.keys(), options.clientSecret]);
  return {
    url,
    apiUrl: `${url}/api`,
    stats,
    setCallbackUrl(value) {
      callbackUrl = value;
    },
    addUser(user) {
      users.set(user.login.toLowerCase(), structuredClone(user));
    },
    expireAccessToken(token) {
      const record = accessTokens.get(token);
      if (!record) throw new Error('expireAccessToken: the fixture never issued this token');
      record.expiresAt = Date.now() - 1;
    },
    expireAllAccessTokens() {
      for (const record of accessTokens.values()) record.expiresAt = Date.now() - 1;
    },
    secrets() {
      return [...accessTokens.keys(), ...refreshTokens.keys(), options.clientSecret];
    },
    hasLiveToken(login) {
      return [...accessTokens.values()].some((t) => t.login.toLowerCase() === login.toLowerCase() && isLive(t));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Scopes arrive space-separated; GitHub also tolerates commas, so both split here. Duplicates are dropped. */
function parseScopes(raw: string | null): string[] {
  return [...new Set((raw ?? '').split(/[\s,]+/).filter(Boolean))];
}

function randomAlphanumeric(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  while (out.length < length) {
    // Bytes of 248 and above are skipped so that every character is equally likely (248 = 4 × 62).
    for (const byte of randomBytes(length)) if (byte < 248 && out.length < length) out += alphabet[byte % 62];
  }
  return out;
}

function basicCredentials(req: IncomingMessage): { id: string; secret: string } | undefined {
  const header = req.headers.authorization;
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString();
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** Raw, or form-encoded first as RFC 6749 §2.3.1 asks (clients differ; either is accepted). */
function credentialsMatch(credentials: { id: string; secret: string }, options: GitHubFixtureOptions): boolean {
  const formDecode = (value: string) => {
    try {
      return decodeURIComponent(value.replace(/\+/g, ' '));
    } catch {
      return value;
    }
  };
  return (
    (credentials.id === options.clientId && credentials.secret === options.clientSecret) ||
    (formDecode(credentials.id) === options.clientId && formDecode(credentials.secret) === options.clientSecret)
  );
}

function clientAuthenticated(req: IncomingMessage, params: URLSearchParams, options: GitHubFixtureOptions): boolean {
  const basic = basicCredentials(req);
  if (basic) return credentialsMatch(basic, options);
  return params.get('client_id') === options.clientId && params.get('client_secret') === options.clientSecret;
}

/** A form-urlencoded or JSON body, as parameters (JSON values stringified). */
function parseBody(req: IncomingMessage, body: string): URLSearchParams {
  if (!(req.headers['content-type'] ?? '').includes('application/json')) return new URLSearchParams(body);
  const params = new URLSearchParams();
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object') {
      for (const [name, value] of Object.entries(parsed)) if (value !== null && value !== undefined) params.set(name, String(value));
    }
  } catch {
    // A malformed body is as good as an empty one: the checks that follow fail on it.
  }
  return params;
}

/** GitHub answers the token endpoint form-encoded unless JSON is asked for, and always with 200, errors included. */
function sendTokenAnswer(req: IncomingMessage, res: ServerResponse, body: Record<string, string | number>): void {
  if ((req.headers.accept ?? '').includes('application/json')) {
    sendJson(res, 200, body);
    return;
  }
  const form = new URLSearchParams(Object.entries(body).map(([name, value]) => [name, String(value)]));
  res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'cache-control': 'no-store' });
  res.end(form.toString());
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function sendHtml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

/** 302 to `target` with `params` added to its query (undefined ones left out). */
function redirect(res: ServerResponse, target: string, params: Record<string, string | undefined>, headers: Record<string, string> = {}): void {
  const location = new URL(target);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) location.searchParams.set(name, value);
  res.writeHead(302, { location: location.href, 'cache-control': 'no-store', ...headers });
  res.end();
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · GitHub fixture</title></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
