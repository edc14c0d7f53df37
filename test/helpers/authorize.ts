import { noteSecret } from './leak-record.js';
import { createHash, randomBytes } from 'node:crypto';
import type { EmbeddedTestServer } from './embedded-server.js';

/**
 * A browserless driver of the authorization code flow, over real HTTP against a running embedded server.
 *
 * `Browser` plays the person's browser: it keeps its own cookies (sent back only to the host and path that
 * set them, never shared with another `Browser`), follows redirects one hop at a time without leaving the
 * authorization server, and reads the login and consent forms (action and hidden `csrf` field) from the HTML.
 * The token-endpoint helpers play the client. Every secret the helpers see or create (passwords, codes,
 * tokens, client secrets) is remembered per server, so a test can check that none of them reached the logs.
 */

type Server = Pick<EmbeddedTestServer, 'urls'>;

// ---------------------------------------------------------------------------------------------------------
// Secrets seen per server (for the log-leak check)

const secretsByServer = new WeakMap<object, Set<string>>();

/** Remember a value that must never appear in the server's logs. */
export function rememberSecret(server: object, value: unknown): void {
  if (typeof value !== 'string' || value.length < 8) return;
  noteSecret(value);
  let set = secretsByServer.get(server);
  if (!set) {
    set = new Set();
    secretsByServer.set(server, set);
  }
  set.add(value);
}

/** Every secret the helpers handled for this server. */
export function secretsSeen(server: object): string[] {
  return [...(secretsByServer.get(server) ?? [])];
}

// ---------------------------------------------------------------------------------------------------------
// Cookies

export interface Cookie {
  name: string;
  value: string;
  host: string;
  path: string;
  expiresAt?: number;
  /** The Set-Cookie header it came from, for tests that check attributes. */
  raw: string;
}

/** A small RFC 6265 jar: host-only cookies keyed by name and path, expiry honoured, path-matched on send. */
export class CookieJar {
  readonly #cookies = new Map<string, Cookie>();

  store(url: URL, setCookie: string): void {
    const [pair = '', ...attributes] = setCookie.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const cookie: Cookie = { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), host: url.host, path: defaultPath(url), raw: setCookie };
    for (const attribute of attributes) {
      const [key = '', ...rest] = attribute.split('=');
      const value = rest.join('=').trim();
      switch (key.trim().toLowerCase()) {
        case 'path':
          if (value.startsWith('/')) cookie.path = value;
          break;
        case 'max-age':
          cookie.expiresAt = Date.now() + Number(value) * 1000;
          break;
        case 'expires':
          cookie.expiresAt ??= Date.parse(value);
          break;
      }
    }
    const key = `${cookie.host} ${cookie.path} ${cookie.name}`;
    if (cookie.expiresAt !== undefined && cookie.expiresAt <= Date.now()) this.#cookies.delete(key);
    else this.#cookies.set(key, cookie);
  }

  /** The Cookie header for a request to this URL (longest paths first, as browsers order them). */
  header(url: URL): string | undefined {
    const now = Date.now();
    const matching = [...this.#cookies.values()]
      .filter((c) => c.host === url.host && pathMatches(url.pathname, c.path) && (c.expiresAt === undefined || c.expiresAt > now))
      .sort((a, b) => b.path.length - a.path.length);
    return matching.length ? matching.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  all(): Cookie[] {
    return [...this.#cookies.values()];
  }
}

function defaultPath(url: URL): string {
  const slash = url.pathname.lastIndexOf('/');
  return slash <= 0 ? '/' : url.pathname.slice(0, slash);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

// ---------------------------------------------------------------------------------------------------------
// Pages and the browser

export interface HtmlForm {
  /** Absolute URL the form posts to. */
  action: URL;
  /** The hidden CSRF field's value (empty when the form has none). */
  csrf: string;
}

/** Where one navigation ended: an HTML (or other) page on the server, or a redirect leaving the server. */
export type Step =
  | { kind: 'page'; url: URL; status: number; headers: Headers; body: string; form?: HtmlForm }
  | { kind: 'redirect'; url: URL; status: number; headers: Headers; location: URL };

export type PageStep = Extract<Step, { kind: 'page' }>;

export class Browser {
  readonly jar = new CookieJar();
  /** Every Set-Cookie header received, in order. */
  readonly setCookies: string[] = [];
  /** Every response of every hop, in order (status and headers), for tests that check the whole chain. */
  readonly hops: Array<{ method: string; url: URL; status: number; headers: Headers }> = [];

  constructor(
    readonly server: Server,
    /**
     * Headers sent with every request (e.g. spoofed forwarding headers), and other origins whose redirects this
     * browser follows too (an upstream identity provider in federated mode).
     */
    readonly options: { headers?: Record<string, string>; alsoFollow?: string[] } = {},
  ) {}

  /** One HTTP exchange with this browser's cookies; redirects are not followed. */
  async request(url: URL | string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers({ ...this.options.headers, ...init.headers });
    const cookie = this.jar.header(target);
    if (cookie && !headers.has('cookie')) headers.set('cookie', cookie);
    const response = await fetch(target, { method: init.method ?? 'GET', headers, body: init.body, redirect: 'manual' });
    for (const setCookie of response.headers.getSetCookie()) {
      this.setCookies.push(setCookie);
      this.jar.store(target, setCookie);
    }
    this.hops.push({ method: init.method ?? 'GET', url: target, status: response.status, headers: response.headers });
    return response;
  }

  /**
   * Open a URL (or submit a form) and follow redirects while they stay on the authorization server's origin,
   * as a browser would (a 303 after a POST turns into a GET). Stops on a page, or on a redirect elsewhere
   * (the client's redirect_uri), which is returned without being followed.
   */
  async navigate(url: URL | string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Step> {
    const origin = new URL(this.server.urls.issuer).origin;
    let current = new URL(url);
    let request = init;
    for (let hop = 0; hop < 20; hop++) {
      const response = await this.request(current, request);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        const next = new URL(location, current);
        if (next.origin !== origin && !this.options.alsoFollow?.includes(next.origin))
          return { kind: 'redirect', url: current, status: response.status, headers: response.headers, location: next };
        if (response.status === 307 || response.status === 308) throw new Error(`unexpected ${response.status} from ${current.href}`);
        current = next;
        request = {}; // a redirect is followed with a plain GET (303; 301/302 after a POST in practice too)
        continue;
      }
      const body = await response.text();
      return { kind: 'page', url: current, status: response.status, headers: response.headers, body, form: parseForm(body, current) };
    }
    throw new Error(`too many redirects from ${String(url)}`);
  }

  /** Submit a page's form with these fields (plus its csrf token unless `csrf` is given), as the page's own origin would. */
  async submit(page: PageStep, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Step> {
    if (!page.form) throw new Error(`no form on ${page.url.href} (status ${page.status}): ${snippet(page.body)}`);
    return this.post(page.form.action, { csrf: page.form.csrf, ...fields }, headers);
  }

  /**
   * POST exactly these form fields (nothing added) and follow the answer. The `Origin` is the server's own,
   * as for a form on its pages, unless `headers` says otherwise.
   */
  async post(url: URL | string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Step> {
    return this.navigate(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(this.server.urls.issuer).origin, ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#96': '`' };
const decodeEntities = (s: string) => s.replace(/&(amp|lt|gt|quot|#39|#96);/g, (_m, e: string) => ENTITIES[e]!);

/**
 * The page's form: the one with a password field when there is one (a sign-in page may offer upstream providers
 * first), else the first. Its action and hidden csrf field.
 */
export function parseForm(body: string, base: URL): HtmlForm | undefined {
  const forms = [...body.matchAll(/<form\b[^>]*\baction="([^"]*)"[^>]*>[\s\S]*?<\/form>/gi)];
  const form = forms.find((f) => /type="password"/.test(f[0])) ?? forms[0] ?? /<form\b[^>]*\baction="([^"]*)"[^>]*>/i.exec(body);
  if (!form) return undefined;
  const csrf = /<input\b[^>]*\bname="csrf"[^>]*\bvalue="([^"]*)"/i.exec(body) ?? /<input\b[^>]*\bvalue="([^"]*)"[^>]*\bname="csrf"/i.exec(body);
  return { action: new URL(decodeEntities(form[1]!), base), csrf: csrf ? decodeEntities(csrf[1]!) : '' };
}

function snippet(body: string): string {
  return body.replace(/\s+/g, ' ').slice(0, 300);
}

export type FormPage = PageStep & { form: HtmlForm };
export const isLoginPage = (step: Step): step is FormPage => step.kind === 'page' && step.form?.action.pathname.endsWith('/login') === true;
export const isConsentPage = (step: Step): step is FormPage => step.kind === 'page' && step.form?.action.pathname.endsWith('/consent') === true;

// ---------------------------------------------------------------------------------------------------------
// PKCE and the authorization request

export function pkcePair(): { verifier: string; challenge: string; method: 'S256' } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url'), method: 'S256' };
}

export interface AuthorizationRequest {
  server: Server;
  clientId: string;
  redirectUri: string;
  scope?: string;
  resource?: string;
  /** A challenge to send; `null` sends none. Default: a fresh S256 pair (its verifier is returned). */
  codeChallenge?: string | null;
  codeChallengeMethod?: string | null;
  state?: string;
  /** More query parameters (`prompt`, `response_type` overrides, …). A value of `null` removes the parameter. */
  extraParams?: Record<string, string | null>;
}

/** The authorization endpoint URL for a request, and the PKCE verifier when the helper made the challenge. */
export function authorizationUrl(request: AuthorizationRequest): { url: URL; codeVerifier?: string; state: string } {
  const url = new URL(`${request.server.urls.issuer}/auth`);
  const generated = request.codeChallenge === undefined ? pkcePair() : undefined;
  const state = request.state ?? randomBytes(12).toString('base64url');
  const params: Record<string, string | null> = {
    response_type: 'code',
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    scope: request.scope ?? 'read:whoami',
    state,
    code_challenge: generated?.challenge ?? request.codeChallenge ?? null,
    code_challenge_method: request.codeChallengeMethod === undefined ? 'S256' : request.codeChallengeMethod,
    ...(request.resource !== undefined && { resource: request.resource }),
    ...request.extraParams,
  };
  if (params['code_challenge'] === null && request.codeChallengeMethod === undefined) params['code_challenge_method'] = null;
  for (const [name, value] of Object.entries(params)) if (value !== null) url.searchParams.set(name, value);
  return { url, codeVerifier: generated?.verifier, state };
}

export interface AuthorizeOptions extends AuthorizationRequest {
  email: string;
  password: string;
  /** What to answer on the consent page. Default allow. */
  decision?: 'allow' | 'deny';
  /** Continue in this browser (its session and cookies). Default: a fresh browser. */
  browser?: Browser;
}

export interface AuthorizeResult {
  /** The final redirect to the client's redirect_uri (not followed). */
  location: URL;
  /** Its query parameters (code or error, state, iss). */
  params: URLSearchParams;
  /** The PKCE verifier, when the helper generated the challenge. */
  codeVerifier?: string;
  state: string;
  browser: Browser;
  /** The login and consent pages shown along the way. */
  pages: PageStep[];
}

export class AuthorizeError extends Error {
  constructor(
    message: string,
    readonly step: Step,
  ) {
    super(message);
  }
}

/**
 * The whole front channel as a person does it: open the authorization URL, sign in if asked, answer the
 * consent page if shown, and stop at the redirect back to the client. Throws `AuthorizeError` when the flow
 * ends on a page instead (an error page, a refused login).
 */
export async function authorize(options: AuthorizeOptions): Promise<AuthorizeResult> {
  const browser = options.browser ?? new Browser(options.server);
  const { url, codeVerifier, state } = authorizationUrl(options);
  rememberSecret(options.server, options.password);
  const pages: PageStep[] = [];
  let step = await browser.navigate(url);
  for (let i = 0; i < 5; i++) {
    if (step.kind === 'redirect') {
      const params = redirectParams(step.location);
      rememberSecret(options.server, params.get('code'));
      return { location: step.location, params, codeVerifier, state, browser, pages };
    }
    if (isLoginPage(step)) {
      pages.push(step);
      if (pages.filter(isLoginPage).length > 1) throw new AuthorizeError(`sign-in refused (status ${step.status})`, step);
      step = await browser.submit(step, { email: options.email, password: options.password });
    } else if (isConsentPage(step)) {
      pages.push(step);
      step = await browser.submit(step, { decision: options.decision ?? 'allow' });
    } else {
      throw new AuthorizeError(`the flow stopped on ${step.url.pathname} with status ${step.status}: ${snippet(step.body)}`, step);
    }
  }
  throw new AuthorizeError('the flow did not finish', step);
}

/** Query and fragment parameters of a redirect (an error response for `response_type=token` would use the fragment). */
function redirectParams(location: URL): URLSearchParams {
  const params = new URLSearchParams(location.search);
  for (const [name, value] of new URLSearchParams(location.hash.slice(1))) params.append(name, value);
  return params;
}

/**
 * Open the authorization URL in a browser and sign in, stopping on the consent page (for tests that
 * tamper with the consent form). Throws when the flow does not reach a consent page.
 */
export async function openConsent(
  options: Omit<AuthorizeOptions, 'decision'>,
): Promise<{ browser: Browser; page: FormPage; codeVerifier?: string; state: string }> {
  const browser = options.browser ?? new Browser(options.server);
  const { url, codeVerifier, state } = authorizationUrl(options);
  rememberSecret(options.server, options.password);
  let step = await browser.navigate(url);
  if (isLoginPage(step)) step = await browser.submit(step, { email: options.email, password: options.password });
  if (!isConsentPage(step)) throw new AuthorizeError(`expected the consent page, got ${step.kind} ${step.status} at ${step.url.pathname}`, step);
  return { browser, page: step, codeVerifier, state };
}

// ---------------------------------------------------------------------------------------------------------
// The client's side: registration and the token, revocation and introspection endpoints

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** How a client authenticates: public (`client_id` in the body) or with a secret (HTTP Basic). */
export interface ClientCredentials {
  clientId: string;
  clientSecret?: string;
}

async function formPost(
  server: Server,
  path: string,
  fields: Record<string, string | undefined>,
  client?: ClientCredentials,
  extraHeaders: Record<string, string> = {},
): Promise<JsonResponse> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) body.set(name, value);
  const headers: Record<string, string> = { ...extraHeaders, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (client?.clientSecret !== undefined) {
    const encode = (s: string) => encodeURIComponent(s);
    headers['authorization'] = `Basic ${Buffer.from(`${encode(client.clientId)}:${encode(client.clientSecret)}`).toString('base64')}`;
    rememberSecret(server, client.clientSecret);
  } else if (client) {
    body.set('client_id', client.clientId);
  }
  const response = await fetch(`${server.urls.issuer}${path}`, { method: 'POST', headers, body: body.toString(), redirect: 'manual' });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = { raw: text };
  }
  for (const name of ['access_token', 'refresh_token', 'id_token', 'client_secret', 'registration_access_token']) rememberSecret(server, json[name]);
  return { status: response.status, headers: response.headers, body: json };
}

/** POST /reg (RFC 7591) with this metadata. */
export async function registerClient(server: Server, metadata: Record<string, unknown>, headers: Record<string, string> = {}): Promise<JsonResponse> {
  const response = await fetch(`${server.urls.issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(metadata),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { raw: text };
  }
  rememberSecret(server, body['client_secret']);
  rememberSecret(server, body['registration_access_token']);
  return { status: response.status, headers: response.headers, body };
}

/** A typical MCP client registration: public, native, one loopback redirect. */
export function nativeClientMetadata(redirectUri: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_name: 'Attack test client',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    application_type: 'native',
    ...extra,
  };
}

export interface RedeemOptions {
  client: ClientCredentials;
  code: string;
  redirectUri?: string;
  codeVerifier?: string;
  resource?: string;
  extra?: Record<string, string>;
  /** Extra HTTP headers for the token request. */
  headers?: Record<string, string>;
}

/** POST /token, grant_type=authorization_code. */
export function redeemCode(server: Server, options: RedeemOptions): Promise<JsonResponse> {
  return formPost(
    server,
    '/token',
    {
      grant_type: 'authorization_code',
      code: options.code,
      redirect_uri: options.redirectUri,
      code_verifier: options.codeVerifier,
      resource: options.resource,
      ...options.extra,
    },
    options.client,
    options.headers,
  );
}

/** POST /token, grant_type=refresh_token. */
export function refresh(
  server: Server,
  options: { client: ClientCredentials; refreshToken: string; scope?: string; resource?: string },
): Promise<JsonResponse> {
  return formPost(
    server,
    '/token',
    { grant_type: 'refresh_token', refresh_token: options.refreshToken, scope: options.scope, resource: options.resource },
    options.client,
  );
}

/** POST /token/revocation (RFC 7009). */
export function revoke(server: Server, options: { client: ClientCredentials; token: string; tokenTypeHint?: string }): Promise<JsonResponse> {
  return formPost(server, '/token/revocation', { token: options.token, token_type_hint: options.tokenTypeHint }, options.client);
}

/** POST /token/introspection (RFC 7662); without `client` the request carries no client authentication. */
export function introspect(server: Server, options: { client?: ClientCredentials; token: string; tokenTypeHint?: string }): Promise<JsonResponse> {
  return formPost(server, '/token/introspection', { token: options.token, token_type_hint: options.tokenTypeHint }, options.client);
}

// ---------------------------------------------------------------------------------------------------------
// Shortcuts

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  response: JsonResponse;
}

/** Authorize, then redeem the code: the tokens of a completed flow (asserts success). */
export async function obtainTokens(options: AuthorizeOptions & { client?: ClientCredentials }): Promise<TokenSet & { flow: AuthorizeResult }> {
  const flow = await authorize(options);
  const code = flow.params.get('code');
  if (!code) throw new Error(`no code: ${flow.location.href}`);
  const response = await redeemCode(options.server, {
    client: options.client ?? { clientId: options.clientId },
    code,
    redirectUri: options.redirectUri,
    codeVerifier: flow.codeVerifier,
  });
  if (response.status !== 200) throw new Error(`code redemption failed: ${response.status} ${JSON.stringify(response.body)}`);
  return { accessToken: String(response.body['access_token']), refreshToken: String(response.body['refresh_token']), response, flow };
}

/** The claims of a JWT, unverified (for checking what the server put in its own tokens). */
export function decodeJwt(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** An MCP initialize request to the resource with this bearer token. */
export function callMcp(server: Server, accessToken: string): Promise<Response> {
  return fetch(server.urls.resource, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'attack-test', version: '1.0.0' } },
    }),
  });
}

/** The secrets this server's helpers handled that appear in its captured logs (should be none). */
export function leakedSecrets(server: Server & { logs: string[] }): string[] {
  const logs = server.logs.join('\n');
  return secretsSeen(server).filter((secret) => logs.includes(secret));
}
