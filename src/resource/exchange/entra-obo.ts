import { DownstreamTokenError, type TokenExchanger, presentedToken } from '../downstream.js';
import { clientAuthentication, type ClientCredentialOptions } from './client-auth.js';
import { endpointUrl, timeoutMsOption } from './exchanger-options.js';
import { checkedScopes } from './requested-scopes.js';
import { requestToken } from './token-endpoint.js';

const OWNER = 'entraOnBehalfOf()';
/** RFC 7523 §2.1: the grant Entra's on-behalf-of flow rides on. */
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';
/** OpenID Connect scopes Entra takes as they are, not as permissions of an API. */
const PLAIN_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

export interface EntraOnBehalfOfOptions extends ClientCredentialOptions {
  /** The tenant: its id (a GUID) or one of its domain names. */
  tenant: string;
  /**
   * `clientId` is the application (client) id of the API app this server's tokens are issued for; `clientSecret`
   * one of its secrets, or `privateKey` the key of one of its certificates (the JWK carrying `x5t#S256` or `x5c`).
   */
  clientId: string;
  /** The cloud's sign-in host, for national clouds (e.g. `https://login.microsoftonline.us`). Default `https://login.microsoftonline.com`. */
  authority?: string;
  /** Token endpoint timeout. Default 5 s. */
  timeoutSeconds?: number;
}

/**
 * Tokens for downstream APIs from Microsoft Entra ID by its on-behalf-of flow (the Microsoft identity platform's
 * v2.0 endpoint): this server, the API the caller's token was issued for, presents that token as the user assertion
 * and gets a token for the downstream API with the user's delegated permissions. A tool names the API by its
 * application id URI or URL (`api://…`, `https://graph.microsoft.com`) and scopes by their short names.
 */
export function entraOnBehalfOf(options: EntraOnBehalfOfOptions): TokenExchanger {
  if (typeof options.tenant !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(options.tenant)) {
    throw new Error(`${OWNER}: tenant must be the tenant's id or domain name, got ${JSON.stringify(options.tenant)}`);
  }
  const authority = endpointUrl(OWNER, 'authority', options.authority ?? DEFAULT_AUTHORITY);
  if (authority.search) throw new Error(`${OWNER}: authority "${options.authority}" must not have a query`);
  const tokenEndpoint = `${authority.origin}${authority.pathname.replace(/\/+$/, '')}/${options.tenant}/oauth2/v2.0/token`;
  // Entra takes a secret only in the body; a certificate's assertion must name it (x5t#S256), signed PS256 by choice.
  const auth = clientAuthentication(options, { owner: OWNER, secretMethod: 'client_secret_post', preferPss: true, requireThumbprint: true });
  const timeoutMs = timeoutMsOption(OWNER, options.timeoutSeconds);

  return {
    presentsSubjectToken: true,
    description: `Entra on-behalf-of at ${tokenEndpoint} (${auth.method === 'private_key_jwt' ? 'certificate' : 'client secret'})`,
    async exchange(subject, request) {
      const token = presentedToken(subject);
      const scopes = entraScopes(request.resource, checkedScopes(request));
      const body = new URLSearchParams({
        grant_type: JWT_BEARER_GRANT,
        assertion: token,
        scope: scopes.join(' '),
        requested_token_use: 'on_behalf_of',
      });
      const headers: Record<string, string> = {};
      await auth.apply(tokenEndpoint, headers, body);
      return requestToken({ tokenEndpoint, headers, body, timeoutMs, requestedScopes: scopes, secrets: [token, ...auth.secrets] });
    },
  };
}

/**
 * Entra names a permission by its API: `User.Read` of `https://graph.microsoft.com` is
 * `https://graph.microsoft.com/User.Read`. Scopes already qualified (a `/` or `:` in them) and the OpenID Connect
 * ones stay as they are; none asked for is every permission the API app was granted (`/.default`).
 */
export function entraScopes(resource: string, scopes: readonly string[]): string[] {
  if (typeof resource !== 'string' || !/^[\x21-\x7e]+$/.test(resource)) {
    throw new DownstreamTokenError('invalid_target', `tokenFor(): resource ${JSON.stringify(resource)} is not an API's URL or application id URI`);
  }
  const base = resource.replace(/\/+$/, '');
  if (scopes.length === 0) return [`${base}/.default`];
  return scopes.map((scope) => (scope.includes('/') || scope.includes(':') || PLAIN_SCOPES.has(scope) ? scope : `${base}/${scope}`));
}
