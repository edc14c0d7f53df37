import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';
import type { Logger } from 'pino';
import type { AuditRecorder } from '../../audit/audit-log.js';
import type { RequestObserver, ScopeInfo } from '../../resource/auth-mode.js';
import type { Store } from '../../store/contract/store.js';
import type { Accounts, User } from '../people/accounts.js';
import { revokeAccessTokensOnRequest } from '../tokens/access-token-revocation.js';
import { storeAdapter } from './adapter.js';
import { logProviderRefusals } from './refusal-log.js';
import { assertShortLivedAssertion, markMachineToken, refreshTokenTtl, singleUseAssertions, type TokenLifetimes } from './machine-tokens.js';
import type { ClientArrival } from '../clients/client-policy.js';
import { REFUSED_FETCHING_FIELDS } from '../clients/fetched-metadata.js';
import { clientSecretMatches } from '../clients/secrets.js';
import { isClientOrigin } from '../clients/client-origins.js';
import type { ConsentRequest } from '../people/consents.js';
import { inSigningOrder, type KeyMaterial } from '../keys/keys.js';
import { errorPage } from '../pages/views.js';
import { pageResponseInto } from '../web/koa-bridge.js';
import type { GuardedFetch } from '../../util/guarded-fetch.js';
import type { EnterpriseGrant } from '../enterprise/jwt-bearer-grant.js';

/** Scopes the authorization server adds for OpenID clients, with what the consent page says about them. */
export const OIDC_SCOPES: readonly ScopeInfo[] = [
  { name: 'openid', description: 'Confirm your identity to the app' },
  { name: 'profile', description: 'See your username' },
  { name: 'email', description: 'See your email address' },
  { name: 'offline_access', description: 'Stay connected when you are not using the app' },
];

export interface ProviderOptions {
  issuer: string;
  /** The MCP resource identifier: the audience of tokens whose request names no resource. */
  resource: string;
  /**
   * Every identifier the MCP resource answers to (`serverIdentities`: on a local server, one per loopback name):
   * tokens are issued for any of them, each with that exact audience, and for nothing else.
   */
  resources: readonly string[];
  store: Store;
  accounts: Accounts;
  keys: KeyMaterial;
  /** Names of oidc-provider's session, interaction and resume cookies (see cookies.ts). */
  cookieNames: { session: string; interaction: string; resume: string };
  /** The tools' scopes: what tokens for the resource may carry. */
  resourceScopes: readonly string[];
  /** Path prefix of the interaction pages, e.g. `/interaction`. */
  interactionPath: string;
  dynamicRegistration: boolean;
  clientMetadataDocuments: boolean;
  /** Check (and adjust) a client's metadata before it is accepted: the redirect-URI policy, the name rules. */
  validateClientMetadata(metadata: Record<string, unknown>, arrival: ClientArrival): void;
  /** Whether this person approved this client, under this grant, to send these scopes to this exact redirect URI. */
  consentCovers(request: ConsentRequest): Promise<boolean>;
  /**
   * Every fetch the engine makes for a client (metadata documents, `jwks_uri`): the guarded fetcher
   * (`util/guarded-fetch.ts`), which replaces oidc-provider's own.
   */
  fetch: GuardedFetch;
  /** The fetcher's body cap, given to the engine too: its default for `jwks_uri` is no limit at all. */
  fetchBodyLimit: number;
  lifetimes: TokenLifetimes;
  logger: Logger;
  /** Where revocations of access tokens are recorded (the engine's own events do not see them: access-token-revocation.ts). */
  audit: AuditRecorder;
  /** Told of every token response sent. */
  observer?: RequestObserver;
  /** Enterprise-managed authorization: the JWT bearer grant with ID-JAGs from trusted IdPs. */
  enterprise?: EnterpriseGrant;
}

const fetchedByRequest = new WeakMap<object, Set<string>>();
function firstFetchInRequest(ctx: object | undefined, url: string): boolean {
  if (!ctx) return true;
  const fetched = fetchedByRequest.get(ctx) ?? new Set<string>();
  fetchedByRequest.set(ctx, fetched);
  if (fetched.has(url)) return false;
  fetched.add(url);
  return true;
}

/**
 * oidc-provider's prompts, plus two:
 * - a browser session whose account was removed or disabled signs in again (without it the session skips
 *   sign-in and the authorization fails on the missing account);
 * - a consent covers what the page showed: the client, the scopes and the exact redirect URI, loopback port
 *   included. oidc-provider would otherwise issue a code to any registered redirect URI (any port of a loopback
 *   one, RFC 8252 §7.3) of a client whose grant in this browser session has the scopes. With `prompt=none` this
 *   check answers `consent_required` (OIDC Core §3.1.2.6).
 */
function interactionPolicyFor(consentCovers: ProviderOptions['consentCovers']) {
  const { Check } = interactionPolicy;
  const policy = interactionPolicy.base();
  policy
    .get('login')!
    .checks.add(
      new Check('account_unavailable', 'The signed-in account is no longer available', 'login_required', (ctx) =>
        ctx.oidc.session?.accountId && !ctx.oidc.account ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT,
      ),
      1,
    );
  policy.get('consent')!.checks.add(
    new Check('redirect_uri_not_approved', 'this redirect URI was not approved for this client', 'consent_required', async (ctx) => {
      const { oidc } = ctx;
      // Just approved on the consent page (this resume carries the result): nothing more to ask.
      if (oidc.result?.['consent']) return Check.NO_NEED_TO_PROMPT;
      const accountId = oidc.session?.accountId;
      const grantId = oidc.grant?.jti;
      if (!accountId || !grantId || !oidc.client) return Check.REQUEST_PROMPT;
      const covered = await consentCovers({
        accountId,
        clientId: oidc.client.clientId,
        grantId,
        redirectUri: String(oidc.params?.['redirect_uri'] ?? ''),
        scopes: [...oidc.requestParamScopes],
      });
      return covered ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}

/**
 * The person's claims the granted OpenID scopes allow: `email` (and whether it is verified) with `email`, the
 * username with `profile`. An email is verified only when an upstream identity provider vouched for it; a local
 * account's email was typed by whoever created the account, and nothing here has checked it.
 */
function identityClaims(user: User, scopes: ReadonlySet<string>): Record<string, unknown> {
  if (!user.email) return {};
  const verified = (user.identities ?? []).some((i) => i.emailVerified && i.email?.trim().toLowerCase() === user.email);
  return {
    ...(scopes.has('email') && { email: user.email, email_verified: verified }),
    ...(scopes.has('profile') && { preferred_username: user.email }),
  };
}

/**
 * The OpenID scopes of the token request being answered: those of the code or refresh token redeemed (narrowed
 * by a `scope` parameter on refresh), as far as the grant holds them. Access tokens only carry the resource's
 * scopes, so this is where a token's claims learn what the person agreed to share.
 */
function grantedOidcScopes(ctx: KoaContextWithOIDC | undefined): Set<string> {
  const entities = ctx?.oidc?.entities;
  const redeemed = entities?.RefreshToken ?? entities?.AuthorizationCode;
  if (!redeemed?.scope || !entities?.Grant) return new Set();
  const requested = ctx!.oidc.params?.['scope'] ? [...ctx!.oidc.requestParamScopes] : redeemed.scope.split(' ');
  return new Set((entities.Grant.getOIDCScopeFiltered(new Set(requested)) ?? '').split(' ').filter(Boolean));
}

/**
 * The embedded OAuth 2.1 authorization server: oidc-provider configured for MCP. Authorization code with
 * PKCE (S256) for every client, rotating refresh tokens, RFC 9068 JWT access tokens bound to the one MCP
 * resource, revocation, introspection, dynamic registration and Client ID Metadata Documents.
 */
export function createProvider(options: ProviderOptions): Provider {
  const { resource, accounts } = options;
  const resourceScope = options.resourceScopes.join(' ');
  // One token request looks its person up twice (the account, then the token's claims): once per request is enough.
  const usersByRequest = new WeakMap<object, { id: string; user: Promise<User | undefined> }>();
  const userFor = (ctx: object | undefined, id: string) => {
    if (!ctx) return accounts.findById(id);
    const known = usersByRequest.get(ctx);
    if (known?.id === id) return known.user;
    const user = accounts.findById(id);
    usersByRequest.set(ctx, { id, user });
    return user;
  };

  const resourceServerInfo = (indicator: string): ResourceServer => ({
    scope: resourceScope,
    audience: indicator,
    accessTokenTTL: options.lifetimes.accessToken,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'ES256' } },
  });

  const configuration: Configuration = {
    adapter: storeAdapter(options.store),
    // Every key is published; a rotated key signs only once its publication period is over.
    jwks: { keys: inSigningOrder(options.keys) as never },
    cookies: {
      keys: options.keys.cookies,
      names: options.cookieNames,
      long: { signed: true, httpOnly: true, sameSite: 'lax', path: '/' },
      short: { signed: true, httpOnly: true, sameSite: 'lax', path: '/' },
    },
    async findAccount(ctx, sub) {
      const user = await userFor(ctx, sub);
      if (!user || user.disabled) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...identityClaims(user, new Set(['email', 'profile'])) }) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['preferred_username'] },
    scopes: [...OIDC_SCOPES.map((s) => s.name), ...options.resourceScopes],
    responseTypes: ['code'],
    // No client_secret_jwt: it needs the plaintext secret as an HMAC key, and secrets are stored hashed.
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    pkce: { required: () => true },
    // Browser-based public clients (the MCP Inspector) redeem codes from their own page: they may read the token
    // endpoint's answers from their redirect URIs' origins. A client with a secret never runs in a browser.
    clientBasedCORS: (_ctx, origin, client) => client.clientAuthMethod === 'none' && isClientOrigin(client.redirectUris ?? [], origin),
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'ES256',
    },
    // MCP clients rarely ask for offline_access: any client allowed the refresh_token grant gets one.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // oidc-provider ties tokens issued without offline_access to the browser session, so signing out (or the
    // 14-day session ending) would silently disconnect every app. A grant lives for refreshTokenTtlSeconds and
    // ends when the person disconnects the app (or is disabled), never with a browser session.
    expiresWithSession: async () => false,
    rotateRefreshToken: true,
    ttl: {
      AccessToken: options.lifetimes.accessToken,
      AuthorizationCode: 60,
      ClientCredentials: options.lifetimes.clientCredentials,
      IdToken: 3600,
      Interaction: 600,
      Session: 14 * 24 * 3600,
      Grant: options.lifetimes.refreshToken,
      RefreshToken: refreshTokenTtl(options.lifetimes) as never,
    },
    // private_key_jwt (RFC 7523 §2.2): the engine checks iss, sub, aud (issuer or token endpoint), exp and jti.
    assertJwtClientAuthClaimsAndHeader: assertShortLivedAssertion as never,
    interactions: { url: (_ctx, interaction) => `${options.interactionPath}/${interaction.uid}`, policy: interactionPolicyFor(options.consentCovers) },
    features: {
      devInteractions: { enabled: false },
      // RFC 7009 §2.1: only the client a token was issued to may revoke it. Another client's request changes
      // nothing and still answers 200, so it cannot learn whether the token exists.
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      introspection: { enabled: true },
      // Machine clients the operator registers (client-policy.ts keeps the grant from anyone else).
      clientCredentials: { enabled: true },
      // Off: access tokens are bound to the MCP resource, so the userinfo endpoint could never accept one, and MCP
      // clients do not need it. OpenID clients get the claims their scopes allow in the ID token instead.
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      registration: { enabled: options.dynamicRegistration, initialAccessToken: false, issueRegistrationAccessToken: false },
      clientIdMetadataDocument: {
        enabled: options.clientMetadataDocuments,
        ack: 'draft-02',
        // One fetch per document per request: after a failed fetch the engine's authorization error handler looks
        // the client up again, which would fetch the same hostile URL twice for every request.
        allowFetch: (ctx, id) => firstFetchInRequest(ctx, id),
      },
      resourceIndicators: {
        enabled: true,
        // No `resource` in the request: the token is for this server's MCP endpoint.
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (!options.resources.includes(indicator)) throw new errors.InvalidTarget(`unknown resource; this server issues tokens for ${resource}`);
          return resourceServerInfo(indicator);
        },
      },
    },
    extraClientMetadata: {
      // A marker property makes oidc-provider run the validator for every client: registered, CIMD or CLI-made.
      // The engine drops metadata it does not know (`request_uris`) before the validator sees it; listing the
      // refused fields here keeps them, so the validator can refuse them instead of ignoring them.
      properties: ['gatehouse_preset', 'gatehouse_kind', ...REFUSED_FETCHING_FIELDS],
      // oidc-provider passes a request only when a client registers (RFC 7591); a stored or CIMD client has none.
      validator: (ctx, key, _value, metadata) => {
        if (key === 'gatehouse_preset') options.validateClientMetadata(metadata as Record<string, unknown>, { registration: ctx !== undefined });
      },
    },
    formats: {
      customizers: {
        // The grant id lets the in-process resource server refuse tokens of a revoked grant; email and username
        // let any resource server show who is calling, but only when the client was granted the scope for them.
        jwt: async (ctx, token, jwt) => {
          if (markMachineToken(token as never, jwt.payload)) return;
          const grantId = (token as unknown as { grantId?: string }).grantId;
          if (grantId) jwt.payload['gid'] = grantId;
          const enterprise = options.enterprise?.claimsFor(token);
          if (enterprise) {
            Object.assign(jwt.payload, enterprise);
            return;
          }
          const accountId = (token as unknown as { accountId?: string }).accountId;
          const scopes = grantedOidcScopes(ctx);
          if (!accountId || (!scopes.has('email') && !scopes.has('profile'))) return;
          const user = await userFor(ctx, accountId);
          if (user) Object.assign(jwt.payload, identityClaims(user, scopes));
        },
      },
    },
    // The error's own status: 4xx for a bad request, 5xx for our fault (a client must not be told to fix its request).
    renderError: async (ctx: KoaContextWithOIDC, out, error) => {
      const status = (error as { statusCode?: unknown }).statusCode;
      const faulty = out['error'] === 'server_error' || typeof status !== 'number' || status < 400;
      pageResponseInto(ctx, errorPage(out['error'] ?? 'error', out['error_description']), faulty ? 500 : status);
    },
    enabledJWA: {
      authorizationSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA'],
    },
    fetch: options.fetch as never,
    fetchResponseBodyLimits: {
      'client_id metadata document': Math.min(5 * 1024, options.fetchBodyLimit),
      jwks_uri: options.fetchBodyLimit,
      sector_identifier_uri: options.fetchBodyLimit,
    },
  };

  const provider = new Provider(options.issuer, configuration);
  options.enterprise?.register(provider, resourceServerInfo);
  revokeAccessTokensOnRequest(provider, { issuer: options.issuer, signing: options.keys.signing, store: options.store, audit: options.audit });
  // Stored client secrets are hashes (see clients/secrets.ts): compare the presented secret's hash.
  provider.Client.prototype.compareClientSecret = function compareClientSecret(this: { clientSecret?: string }, actual: string) {
    return clientSecretMatches(this.clientSecret, actual);
  };
  singleUseAssertions(provider, options.store);
  // Gatehouse rewrites X-Forwarded-* from the configured public URL before requests reach the provider,
  // so trusting them here can never let a client choose the issuer or the redirect host.
  provider.proxy = true;
  provider.on('server_error', (_ctx, error) => options.logger.error({ err: error }, 'authorization server error'));
  logProviderRefusals(provider);
  provider.on('grant.revoked', (_ctx, grantId) => options.logger.info({ grantId }, 'grant revoked'));
  provider.on('grant.success', (ctx) => options.observer?.tokenIssued(ctx.oidc.params?.['grant_type']));
  return provider;
}
