/** What a tool asks for: a token to call another API (`resource`) as the caller, with these scopes (default: all it may have). */
export interface DownstreamRequest {
  resource: string;
  scopes?: readonly string[];
}

export type CallerKind = 'person' | 'machine';

/** Who is calling: the verified identity behind the access token of the current request. */
export interface Caller {
  /**
   * `person`: a person signed in and the client acts for them. `machine`: a client acting for itself
   * (client_credentials), with no person behind it; `subject` and `clientId` are then both the client's id.
   */
  kind: CallerKind;
  subject: string;
  clientId?: string;
  /** A machine caller's name, as the operator registered it. */
  clientName?: string;
  scopes: readonly string[];
  username?: string;
  email?: string;
  issuer?: string;
  /** Token expiry, seconds since the epoch. */
  expiresAt: number;
  /** Every claim of the verified token. */
  claims: Readonly<Record<string, unknown>>;
  /** Federated mode: who the caller is at the upstream provider, and their token there. */
  upstream?: UpstreamCaller;
  /**
   * A token to call another API as this caller (RFC 8693 token exchange), audience-bound to `resource` and no
   * broader than the caller's grant; the caller's own token is never passed on. Cached until shortly before it
   * expires. Rejects with a `DownstreamTokenError` when the exchange is refused or the server has none configured.
   */
  tokenFor(request: DownstreamRequest): Promise<string>;
}

/**
 * Who a person is at an upstream identity source (GitHub, Google, …), as the provider last described them: the
 * one shape sources report, accounts keep and callers carry.
 */
export interface UpstreamProfile {
  /** Which identity source: `github`, `google`, … */
  source: string;
  /** The provider's stable identifier for the person, never an email or login. */
  subject: string;
  email?: string;
  /** True only when the provider vouches for the email. */
  emailVerified: boolean;
  username?: string;
  name?: string;
}

/** Only the profile's own members, from anything that has them (a source's answer, a stored record). */
export function upstreamProfile(source: string, identity: Omit<UpstreamProfile, 'source'>): UpstreamProfile {
  const { subject, email, emailVerified, username, name } = identity;
  return {
    source,
    subject,
    emailVerified,
    ...(email !== undefined && { email }),
    ...(username !== undefined && { username }),
    ...(name !== undefined && { name }),
  };
}

/** The caller's identity at an upstream provider, and a way to act there on their behalf. */
export interface UpstreamCaller extends UpstreamProfile {
  /**
   * A current access token for the provider's API, refreshed first when it is about to expire. It never leaves
   * the server: use it for calls to the provider, never return it to the client.
   */
  accessToken(): Promise<string>;
}
