import {
  type AddClientAuthentication,
  createPrivateKeyJwtAuth,
  type DpopSession,
  type OAuthClientInformationContext,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  requestJwtAuthorizationGrant,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import { dpopSession } from './dpop-key.js';
import type { LoopbackRedirect } from './loopback.js';
import { openableUrl } from './opener.js';
import type { ServerRecord, TokenStore } from './token-store.js';

/** Credentials of a client registered beforehand with the authorization server. */
export interface PreRegisteredClient {
  clientId: string;
  /** Absent for a public client. */
  clientSecret?: string;
}

/** The client_credentials grant (no person involved): a client secret, or a private key for `private_key_jwt` (RFC 7523). */
export type ClientCredentials =
  | { clientId: string; clientSecret: string }
  | { clientId: string; privateKey: string | Record<string, unknown>; algorithm?: string };

/**
 * Enterprise-managed authorization (Identity Assertion JWT Authorization Grant): the person's ID token from the
 * enterprise IdP is exchanged there for an ID-JAG (RFC 8693), which this client presents to the MCP server's
 * authorization server as a JWT bearer grant (RFC 7523). No browser.
 */
export interface EnterpriseGrant {
  /** This client at the MCP server's authorization server. */
  clientId: string;
  clientSecret: string;
  /** The IdP's token endpoint, the ID token it issued, and this client at the IdP. */
  idpTokenEndpoint: string;
  idToken: string;
  idpClientId: string;
  idpClientSecret?: string;
}

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface ProviderOptions {
  serverUrl: string;
  store: TokenStore;
  clientName: string;
  scope?: string;
  /** The issuer pre-registered or client-credentials secrets may be sent to; any issuer the server names when absent. */
  issuer?: string;
  preRegistered?: PreRegisteredClient;
  clientMetadataUrl?: string;
  clientCredentials?: ClientCredentials;
  enterprise?: EnterpriseGrant;
  dpop?: boolean;
  /** Interactive sign-in: where the browser comes back, and how the person is sent to the authorization URL. */
  login?: { loopback: LoopbackRedirect; send: (url: URL) => void | Promise<void> };
}

/**
 * Gatehouse's side of the SDK's OAuth client: where registrations and tokens live (the token file, per server and
 * issuer), how the person is sent to sign in, and which client this is. Discovery, registration, PKCE, the token
 * exchange, refresh, `iss` checks and DPoP proofs are the SDK's `auth()`.
 */
export class ConnectProvider implements OAuthClientProvider {
  readonly clientMetadataUrl?: string;
  readonly addClientAuthentication?: AddClientAuthentication;
  readonly prepareTokenRequest?: (scope?: string) => URLSearchParams | Promise<URLSearchParams>;
  private readonly fixedClient?: StoredOAuthClientInformation;
  private verifier?: string;
  private callback?: Promise<URLSearchParams>;
  private session?: Promise<DpopSession>;
  /** What discovery found, for the enterprise grant's ID-JAG (its audience and resource). */
  private issuer?: string;
  private resource?: string;

  constructor(private readonly options: ProviderOptions) {
    this.clientMetadataUrl = options.clientMetadataUrl;
    const fixed = options.clientCredentials ?? options.enterprise ?? options.preRegistered;
    if (fixed) {
      this.fixedClient = {
        client_id: fixed.clientId,
        ...('clientSecret' in fixed && fixed.clientSecret !== undefined && { client_secret: fixed.clientSecret }),
        ...(options.issuer && { issuer: options.issuer }),
      };
    }
    const credentials = options.clientCredentials;
    if (credentials) {
      this.prepareTokenRequest = (scope) => new URLSearchParams({ grant_type: 'client_credentials', ...(scope && { scope }) });
      if ('privateKey' in credentials) {
        this.addClientAuthentication = createPrivateKeyJwtAuth({
          issuer: credentials.clientId,
          subject: credentials.clientId,
          privateKey: credentials.privateKey,
          alg: credentials.algorithm ?? 'ES256',
        });
      }
    }
    const enterprise = options.enterprise;
    if (enterprise) this.prepareTokenRequest = (scope) => this.jwtBearerGrant(enterprise, scope);
  }

  /** No redirect URI means a non-interactive grant to the SDK: client credentials or the enterprise grant. */
  get redirectUrl(): string | undefined {
    return this.options.clientCredentials || this.options.enterprise ? undefined : this.options.login?.loopback.redirectUrl;
  }

  saveAuthorizationServerUrl(issuer: string): void {
    this.issuer = issuer;
  }

  saveResourceUrl(resource: string): void {
    this.resource = resource;
  }

  private async jwtBearerGrant(enterprise: EnterpriseGrant, scope?: string): Promise<URLSearchParams> {
    if (!this.issuer || !this.resource) throw new Error("the enterprise grant needs the server's protected resource metadata, which it does not publish");
    const { jwtAuthGrant } = await requestJwtAuthorizationGrant({
      tokenEndpoint: enterprise.idpTokenEndpoint,
      audience: this.issuer,
      resource: this.resource,
      idToken: enterprise.idToken,
      clientId: enterprise.idpClientId,
      clientSecret: enterprise.idpClientSecret,
      scope,
    });
    return new URLSearchParams({ grant_type: JWT_BEARER, assertion: jwtAuthGrant, ...(scope && { scope }) });
  }

  get clientMetadata(): OAuthClientMetadata {
    if (this.options.enterprise) {
      return { client_name: this.options.clientName, redirect_uris: [], grant_types: [JWT_BEARER], token_endpoint_auth_method: 'client_secret_basic' };
    }
    const credentials = this.options.clientCredentials;
    if (credentials) {
      return {
        client_name: this.options.clientName,
        redirect_uris: [],
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'privateKey' in credentials ? 'private_key_jwt' : 'client_secret_basic',
        ...(this.options.scope && { scope: this.options.scope }),
      };
    }
    return {
      client_name: this.options.clientName,
      redirect_uris: this.redirectUrl ? [this.redirectUrl] : [],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...(this.options.scope && { scope: this.options.scope }),
    };
  }

  state(): string {
    const login = this.options.login;
    if (!login) throw new Error('this connection cannot sign in interactively');
    const { state, callback } = login.loopback.begin();
    this.callback = callback;
    return state;
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    const login = this.options.login;
    if (!login) throw new Error('the server asks for an interactive sign-in, which this connection cannot do');
    await login.send(openableUrl(authorizationUrl));
  }

  /** The callback of the sign-in just started, once; `undefined` when none was started. */
  takeCallback(): Promise<URLSearchParams> | undefined {
    const callback = this.callback;
    this.callback = undefined;
    return callback;
  }

  clientInformation(ctx?: OAuthClientInformationContext): StoredOAuthClientInformation | undefined {
    if (this.fixedClient) return this.fixedClient;
    const record = this.record();
    const issuer = ctx?.issuer ?? record.current;
    return issuer === undefined ? undefined : record.issuers[issuer]?.client;
  }

  saveClientInformation(client: StoredOAuthClientInformation, ctx?: OAuthClientInformationContext): void {
    // Given credentials are not written to disk; the SDK only stamps them with the issuer they were used at.
    if (this.fixedClient) return void Object.assign(this.fixedClient, client);
    const issuer = ctx?.issuer ?? client.issuer;
    if (issuer === undefined) throw new Error('a client registration without its issuer cannot be stored');
    this.update((record) => {
      record.issuers[issuer] = { ...record.issuers[issuer], client };
    });
  }

  tokens(ctx?: OAuthClientInformationContext): StoredOAuthTokens | undefined {
    const record = this.record();
    const issuer = ctx?.issuer ?? record.current;
    return issuer === undefined ? undefined : record.issuers[issuer]?.tokens;
  }

  saveTokens(tokens: StoredOAuthTokens, ctx?: OAuthClientInformationContext): void {
    const issuer = ctx?.issuer ?? tokens.issuer;
    if (issuer === undefined) throw new Error('tokens without their issuer cannot be stored');
    this.update((record) => {
      record.issuers[issuer] = { ...record.issuers[issuer], tokens };
      record.current = issuer;
    });
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.verifier = codeVerifier;
  }

  codeVerifier(): string {
    if (this.verifier === undefined) throw new Error('no sign-in is in progress');
    return this.verifier;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.record().discovery;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.update((record) => {
      record.discovery = state;
    });
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    if (scope === 'all' || scope === 'verifier') this.verifier = undefined;
    if (scope === 'verifier') return;
    this.update((record) => {
      if (scope === 'all' || scope === 'discovery') delete record.discovery;
      for (const entry of Object.values(record.issuers)) {
        if (scope === 'all' || scope === 'client') delete entry.client;
        if (scope === 'all' || scope === 'tokens') delete entry.tokens;
      }
    });
  }

  dpop(): Promise<DpopSession> | undefined {
    if (!this.options.dpop) return undefined;
    this.session ??= dpopSession(this.record().dpopKey, (key) =>
      this.update((record) => {
        record.dpopKey = key;
      }),
    );
    return this.session;
  }

  private record(): ServerRecord {
    return this.options.store.read(this.options.serverUrl);
  }

  private update(change: (record: ServerRecord) => void): void {
    this.options.store.update(this.options.serverUrl, change);
  }
}
