import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import type { ScopeInfo } from '../auth-mode.js';
import type { Store } from '../store/store.js';
import type { Accounts, User } from './accounts.js';
import { revokeAccessTokensOnRequest } from './access-token-revocation.js';
import { storeAdapter } from './adapter.js';
import { clientSecretMatches } from './clients/secrets.js';
import { inSigningOrder, type KeyMaterial } from './keys.js';
import { errorPage } from './pages.js';
import { pageResponseInto } from './koa-bridge.js';
import type { RequestObserver } from '../http/metrics.js';

/** Scopes the authorization server adds for OpenID clients, with what the consent page says about them. */
export const OIDC_SCOPES: readonly ScopeInfo[] = [
  { name: 'openid', description: 'Confirm your identity to the app' },
  { name: 'profile', description: 'See your username' },
  { name: 'email', description: 'See your email address' },
  { name: 'offline_access', description: 'Stay connected when you are not using the app' },
];

export interface ProviderOptions {
  issuer: string;
  /** The MCP resource identifier: the only audience tokens are issued for. */
  resource: string;
  store: Store;
  accounts: Accounts;
  keys: KeyMaterial;
  /** The tools' scopes: what tokens for the resource may carry. */
  resourceScopes: readonly string[];
  /** Path prefix of the interaction pages, e.g. `/interaction`. */
  interactionPath: string;
  dynamicRegistration: boolean;
  clientMetadataDocuments: boolean;
  /** Check (and adjust) a client's metadata before it is accepted: the redirect-URI policy. */
  validateClientMetadata(metadata: Record<string, unknown>): void;
  /** Replaces oidc-provider's SSRF-guarded fetch (only the loopback development option does this). */
  dangerousFetch?: typeof fetch;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  logger: Logger;
  /** Told of every token response sent. */
  observer?: RequestObserver;
}

/**
 * oidc-provider's prompts, plus one: a browser session whose account was removed or disabled signs in again
 * (without it the session skips sign-in and the authorization fails on the missing account).
 */
function interactionPolicyFor() {
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(
    new interactionPolicy.Check('account_unavailable', 'The signed-in account is no longer available', 'login_required', (ctx) =>
      ctx.oidc.session?.accountId && !ctx.oidc.account ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT,
    ),
    1,
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

  const configuration: Configuration = {
    adapter: storeAdapter(options.store),
    // Every key is published; a rotated key signs only once its publication period is over.
    jwks: { keys: inSigningOrder(options.keys) as never },
    cookies: {
      keys: options.keys.cookies,
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
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
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'ES256',
    },
    // MCP clients rarely ask for offline_access: any client allowed the refresh_token grant gets one.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    ttl: {
      AccessToken: options.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      ClientCredentials: 600,
      IdToken: 3600,
      Interaction: 600,
      Session: 14 * 24 * 3600,
      Grant: options.refreshTokenTtlSeconds,
      RefreshToken: options.refreshTokenTtlSeconds,
    },
    interactions: { url: (_ctx, interaction) => `${options.interactionPath}/${interaction.uid}`, policy: interactionPolicyFor() },
    features: {
      devInteractions: { enabled: false },
      // RFC 7009 §2.1: only the client a token was issued to may revoke it. Another client's request changes
      // nothing and still answers 200, so it cannot learn whether the token exists.
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      introspection: { enabled: true },
      // Off: access tokens are bound to the MCP resource, so the userinfo endpoint could never accept one, and MCP
      // clients do not need it. OpenID clients get the claims their scopes allow in the ID token instead.
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      registration: { enabled: options.dynamicRegistration, initialAccessToken: false, issueRegistrationAccessToken: false },
      clientIdMetadataDocument: { enabled: options.clientMetadataDocuments, ack: 'draft-02' },
      resourceIndicators: {
        enabled: true,
        // No `resource` in the request: the token is for this server's MCP endpoint.
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== resource) throw new errors.InvalidTarget(`unknown resource; this server issues tokens for ${resource}`);
          return {
            scope: resourceScope,
            audience: resource,
            accessTokenTTL: options.accessTokenTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    extraClientMetadata: {
      // A marker property makes oidc-provider run the validator for every client: registered, CIMD or CLI-made.
      properties: ['gatehouse_preset'],
      validator: (_ctx, key, _value, metadata) => {
        if (key === 'gatehouse_preset') options.validateClientMetadata(metadata as Record<string, unknown>);
      },
    },
    formats: {
      customizers: {
        // The grant id lets the in-process resource server refuse tokens of a revoked grant; email and username
        // let any resource server show who is calling, but only when the client was granted the scope for them.
        jwt: async (ctx, token, jwt) => {
          const grantId = (token as unknown as { grantId?: string }).grantId;
          if (grantId) jwt.payload['gid'] = grantId;
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
    ...(options.dangerousFetch && { fetch: options.dangerousFetch as never }),
  };

  const provider = new Provider(options.issuer, configuration);
  revokeAccessTokensOnRequest(provider, { issuer: options.issuer, signing: options.keys.signing, store: options.store });
  // Stored client secrets are hashes (see clients/secrets.ts): compare the presented secret's hash.
  provider.Client.prototype.compareClientSecret = function compareClientSecret(this: { clientSecret?: string }, actual: string) {
    return clientSecretMatches(this.clientSecret, actual);
  };
  // Gatehouse rewrites X-Forwarded-* from the configured public URL before requests reach the provider,
  // so trusting them here can never let a client choose the issuer or the redirect host.
  provider.proxy = true;
  provider.on('server_error', (_ctx, error) => options.logger.error({ err: error }, 'authorization server error'));
  provider.on('grant.revoked', (_ctx, grantId) => options.logger.info({ grantId }, 'grant revoked'));
  provider.on('grant.success', (ctx) => options.observer?.tokenIssued(ctx.oidc.params?.['grant_type']));
  return provider;
}
