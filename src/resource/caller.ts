/** Who is calling: the verified identity behind the access token of the current request. */
export interface Caller {
  subject: string;
  clientId?: string;
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
}

/** The caller's identity at an upstream provider (GitHub, Google, …), and a way to act there on their behalf. */
export interface UpstreamCaller {
  /** Which identity source: `github`, `google`, … */
  source: string;
  /** The provider's stable identifier for the person. */
  subject: string;
  email?: string;
  /** True only when the provider vouches for the email. */
  emailVerified: boolean;
  username?: string;
  name?: string;
  /**
   * A current access token for the provider's API, refreshed first when it is about to expire. It never leaves
   * the server: use it for calls to the provider, never return it to the client.
   */
  accessToken(): Promise<string>;
}
