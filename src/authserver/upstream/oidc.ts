import { codeFlow, type SignInResponse } from './code-flow.js';
import { client, discoveryFailure, prepare, probeAuthorization } from './oauth-client.js';
import {
  isPlainHttp,
  requireSecureUrl,
  UpstreamError,
  type UpstreamIdentity,
  type UpstreamOptions,
  type UpstreamSource,
  type UpstreamTokens,
} from './source.js';

export interface OidcOptions extends UpstreamOptions {
  /** The provider's issuer; its discovery document is read from `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  /** Path segment and identifier of this source. Default `oidc`. */
  name?: string;
  /** What the sign-in button says. Default: the issuer's host. */
  label?: string;
  /** How Gatehouse authenticates to the token endpoint. Default `client_secret_basic` (the OpenID Connect default). */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
}

const NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

/**
 * Any OpenID Connect provider, from its discovery document. The ID token is verified in full: signature
 * (the provider's JWKS), issuer, audience, expiry and the nonce of this sign-in.
 */
export function oidc(options: OidcOptions): UpstreamSource {
  const issuer = requireSecureUrl(options.issuer, 'the upstream issuer');
  const name = options.name ?? 'oidc';
  if (!NAME.test(name)) throw new Error(`upstream name "${name}" must be lowercase letters, digits and dashes`);
  const label = options.label ?? issuer.host;
  const scopes = options.scopes ?? ['openid', 'email', 'profile'];
  if (!scopes.includes('openid')) scopes.unshift('openid');

  // Discovered on first use and kept; a failed discovery is retried on the next sign-in.
  let configuration: Promise<client.Configuration> | undefined;
  const config = () => {
    configuration ??= (async () => {
      const auth = options.tokenEndpointAuthMethod === 'client_secret_post' ? client.ClientSecretPost : client.ClientSecretBasic;
      const found = await client.discovery(issuer, options.clientId, undefined, auth(options.clientSecret), {
        execute: isPlainHttp(issuer) ? [client.allowInsecureRequests] : [],
        timeout: 10,
      });
      prepare(found, isPlainHttp(issuer));
      client.enableNonRepudiationChecks(found);
      return found;
    })().catch((error: unknown) => {
      configuration = undefined;
      throw discoveryFailure(label, issuer, error);
    });
    return configuration;
  };

  const flow = codeFlow(config, { label, scopes, extraAuthorizeParams: options.extraAuthorizeParams, forwardResource: options.forwardResource, openid: true });

  async function identityOf(tokens: SignInResponse, configuration: client.Configuration): Promise<UpstreamIdentity> {
    const claims = tokens.claims();
    if (!claims) throw new UpstreamError(`${label} returned no ID token`);
    let profile: Record<string, unknown> = claims;
    // Some providers keep email and profile claims out of the ID token and serve them from userinfo.
    if (claims['email'] === undefined && configuration.serverMetadata().userinfo_endpoint) {
      profile = { ...(await client.fetchUserInfo(configuration, tokens.access_token, claims.sub)), ...claims };
    }
    const email = typeof profile['email'] === 'string' ? profile['email'] : undefined;
    const str = (key: string) => (typeof profile[key] === 'string' ? (profile[key] as string) : undefined);
    // Admission by domain or tenant trusts only the signed ID token, never userinfo or the request.
    const signed = (key: string) => (typeof claims[key] === 'string' ? (claims[key] as string) : undefined);
    return {
      subject: claims.sub,
      ...(email !== undefined && { email }),
      // Entra ID vouches for a domain-verified email with `xms_edov` rather than `email_verified`.
      emailVerified: email !== undefined && (profile['email_verified'] === true || profile['email_verified'] === 'true' || profile['xms_edov'] === true),
      ...((str('preferred_username') ?? str('nickname')) !== undefined && { username: str('preferred_username') ?? str('nickname') }),
      ...(str('name') !== undefined && { name: str('name') }),
      ...(signed('hd') !== undefined && { hostedDomain: signed('hd') }),
      ...(signed('tid') !== undefined && { tenant: signed('tid') }),
    };
  }

  return {
    name,
    label,
    scopes,
    authorizationUrl: (request) => flow.authorizationUrl(request),
    complete: (request) => flow.complete(request, identityOf),
    refresh: (refreshToken) => flow.refresh(refreshToken),
    async revoke(tokens: UpstreamTokens) {
      const configuration = await config();
      if (!configuration.serverMetadata().revocation_endpoint) return;
      // Revoking the refresh token ends the whole upstream grant at providers that track grants.
      await client.tokenRevocation(configuration, tokens.refreshToken ?? tokens.accessToken);
    },
    // A discovery that fails here stops the start (UpstreamDiscoveryError); what the probe finds only warns.
    async check(redirectUri) {
      const metadata = (await config()).serverMetadata();
      const warnings: string[] = [];
      if (!metadata.supportsPKCE()) warnings.push(`${label} does not advertise PKCE S256; Gatehouse sends it anyway`);
      const probe = await flow.probeUrl(redirectUri);
      return [...warnings, ...(await probeAuthorization(label, probe, redirectUri))];
    },
  };
}

/** Google: OpenID Connect, asking for offline access so refresh tokens exist. */
export function google(options: UpstreamOptions & { label?: string }): UpstreamSource {
  return oidc({
    ...options,
    issuer: 'https://accounts.google.com',
    name: 'google',
    label: options.label ?? 'Google',
    // Google issues a refresh token only with access_type=offline, and only on a consent screen.
    extraAuthorizeParams: { access_type: 'offline', prompt: 'consent', ...options.extraAuthorizeParams },
  });
}

/**
 * Microsoft Entra ID (v2 endpoints) for one tenant. Entra refuses unknown `resource` parameters (AADSTS901002),
 * so it is never forwarded, and refresh tokens need `offline_access`.
 */
export function microsoft(options: UpstreamOptions & { tenant: string; label?: string; authority?: string }): UpstreamSource {
  if (!/^[A-Za-z0-9.-]+$/.test(options.tenant) || ['common', 'organizations'].includes(options.tenant)) {
    throw new Error('microsoft needs your tenant id or domain (multi-tenant "common" and "organizations" issue per-tenant ID tokens)');
  }
  const authority = options.authority ?? 'https://login.microsoftonline.com';
  return oidc({
    ...options,
    issuer: `${authority}/${options.tenant}/v2.0`,
    name: 'microsoft',
    label: options.label ?? 'Microsoft',
    scopes: options.scopes ?? ['openid', 'email', 'profile', 'offline_access'],
    forwardResource: false,
  });
}

/** Auth0: OpenID Connect on the tenant's domain, with the API `audience` its access tokens are for. */
export function auth0(options: UpstreamOptions & { domain?: string; issuer?: string; audience?: string; label?: string }): UpstreamSource {
  const issuer = options.issuer ?? (options.domain ? `https://${options.domain}/` : undefined);
  if (!issuer) throw new Error('auth0 needs the tenant domain (e.g. example.us.auth0.com) or its issuer URL');
  return oidc({
    ...options,
    issuer,
    name: 'auth0',
    label: options.label ?? 'Auth0',
    scopes: options.scopes ?? ['openid', 'email', 'profile', 'offline_access'],
    extraAuthorizeParams: { ...(options.audience && { audience: options.audience }), ...options.extraAuthorizeParams },
  });
}
