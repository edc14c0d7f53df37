import type { UpstreamProfile } from '../../resource/caller.js';
import { isHttpsOrLoopback } from '../../resource/urls.js';

/**
 * An identity source behind the authorization server: an upstream OAuth or OpenID provider that people sign
 * in with. Gatehouse talks to it with one fixed app credential and its own PKCE; MCP clients never see it.
 */
export interface UpstreamSource {
  /** The path segment and identifier: `github`, `google`, … (the callback is `/oauth/callback/<name>`). */
  readonly name: string;
  /** What the sign-in button says: `GitHub`. */
  readonly label: string;
  /** The authorization request to send the browser to, for one sign-in. */
  authorizationUrl(request: AuthorizationRequest): Promise<URL>;
  /** Redeem the code the browser brought back, and say who signed in. */
  complete(request: CompletionRequest): Promise<{ tokens: UpstreamTokens; identity: UpstreamIdentity }>;
  /** Trade a refresh token for fresh tokens (the refresh token may rotate). */
  refresh(refreshToken: string): Promise<UpstreamTokens>;
  /** Tell the provider to forget these tokens, where it supports that. */
  revoke?(tokens: UpstreamTokens): Promise<void>;
  /**
   * A start-up check of the configuration against the provider: returns warnings to print, and throws an
   * {@link UpstreamDiscoveryError} when the provider's metadata cannot be had (the server cannot sign anyone in).
   */
  check?(redirectUri: string): Promise<string[]>;
  /** The scopes asked of the provider. */
  readonly scopes?: readonly string[];
  /** The provider's usernames name one account at a time (GitHub logins), so an admission list may use them. */
  readonly uniqueUsernames?: boolean;
  /** The organisations and teams the person belongs to (GitHub; needs `read:org`), for admission by membership. */
  memberships?(tokens: UpstreamTokens): Promise<Memberships>;
}

/** Organisation logins, and teams as `<org>/<team-slug>`. */
export interface Memberships {
  organizations: string[];
  teams: string[];
}

export interface AuthorizationRequest {
  redirectUri: string;
  state: string;
  codeChallenge: string;
  nonce: string;
  /** The MCP client's `resource`, offered to sources configured to forward it. */
  resource?: string;
}

export interface CompletionRequest {
  /** The callback URL as the browser requested it (public URL, with the query). */
  callbackUrl: URL;
  redirectUri: string;
  codeVerifier: string;
  state: string;
  nonce: string;
}

export interface UpstreamTokens {
  accessToken: string;
  refreshToken?: string;
  /** Milliseconds since the epoch; absent when the provider's tokens do not expire. */
  expiresAt?: number;
  scope?: string;
}

/** Who signed in at the provider (the source fills in its own name), with the claims admission may look at. */
export interface UpstreamIdentity extends Omit<UpstreamProfile, 'source'> {
  /** Google's `hd` claim, from the verified ID token: the Workspace domain of the account. */
  hostedDomain?: string;
  /** Microsoft Entra's `tid` claim, from the verified ID token: the tenant the person signed in to. */
  tenant?: string;
}

/** The options every source takes. */
export interface UpstreamOptions {
  clientId: string;
  clientSecret: string;
  /** Scopes to ask the provider for (each preset has sensible defaults). */
  scopes?: string[];
  /** Extra parameters for the provider's authorization request. */
  extraAuthorizeParams?: Record<string, string>;
  /** Pass the MCP client's `resource` on to the provider. Default false (most providers refuse unknown ones). */
  forwardResource?: boolean;
}

/**
 * The provider answered with an error, or not at all: the sign-in cannot complete. Not an HttpError: the
 * federation's sign-in turns it into the sign-in's failure in one place, and a tool that asked for an upstream
 * token (`caller.upstream.accessToken()`) gets it to handle.
 */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    message: string,
    /** The OAuth error code the provider gave, when it gave one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** What kept a provider's discovery document from being read, in terms of what the operator can fix. */
export type DiscoveryProblem = 'unreachable' | 'timeout' | 'not-discovery' | 'issuer-mismatch';

/**
 * The provider's discovery document could not be had, or is not the provider's. Found at start (the source's
 * check), it stops the start: a server that cannot sign anyone in should not look ready.
 */
export class UpstreamDiscoveryError extends UpstreamError {
  constructor(
    label: string,
    /** What happened, in one clause: `connection refused at https://…/.well-known/openid-configuration`. */
    readonly detail: string,
    readonly problem: DiscoveryProblem,
    /** With `issuer-mismatch`: the issuer the document names. */
    readonly published?: string,
  ) {
    super(`${label} could not complete the discovery: ${detail}`);
  }
}

/** Provider URLs must be https; plain http is accepted only on this machine (local providers and test fixtures). */
export function requireSecureUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${what} must be an absolute URL, got "${value}"`);
  }
  if (!isHttpsOrLoopback(url)) {
    throw new Error(`${what} must use https (plain http only for localhost), got ${url.origin}`);
  }
  return url;
}

export function isPlainHttp(url: URL): boolean {
  return url.protocol === 'http:';
}
