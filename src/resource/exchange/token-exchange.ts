import { ACCESS_TOKEN_TYPE, type DownstreamRequest, DownstreamTokenError, TOKEN_EXCHANGE, type TokenExchanger, presentedToken } from '../downstream.js';
import { clientAuthentication, type ClientCredentialOptions } from './client-auth.js';
import { discoveredTokenEndpoint } from './discovery.js';
import { endpointUrl, timeoutMsOption } from './exchanger-options.js';
import { checkedScopes } from './requested-scopes.js';
import { requestToken } from './token-endpoint.js';

const OWNER = 'tokenExchange()';

export interface TokenExchangeOptions extends ClientCredentialOptions {
  /** The authorization server's token endpoint. Set this or `issuer`. */
  tokenEndpoint?: string;
  /**
   * The authorization server's issuer: its token endpoint is read from its metadata (RFC 8414, or OpenID Connect
   * Discovery) on first use, and the metadata must name exactly this issuer.
   */
  issuer?: string;
  /** How `clientSecret` is sent. Default `client_secret_basic`. */
  clientAuth?: 'client_secret_basic' | 'client_secret_post';
  /**
   * For servers that name downstream APIs by a logical name rather than by URL: the RFC 8693 `audience` to ask for,
   * by the resource a tool names (a map, or a function). A resource the map lacks is refused (`invalid_target`)
   * without asking. Absent: the request names the API by `resource` (RFC 8707).
   */
  audience?: Readonly<Record<string, string>> | ((resource: string) => string);
  /** Token endpoint and discovery timeout. Default 5 s. */
  timeoutSeconds?: number;
}

/**
 * Tokens for downstream APIs from an external authorization server, by RFC 8693 token exchange: this server (a
 * client of it) sends the caller's token as the subject token and gets back a token for the API, as the caller.
 * The authorization server must let this client use the token-exchange grant.
 */
export function tokenExchange(options: TokenExchangeOptions): TokenExchanger {
  if ((options.tokenEndpoint === undefined) === (options.issuer === undefined)) throw new Error(`${OWNER}: set tokenEndpoint or issuer (one of them)`);
  if (options.clientAuth !== undefined && options.clientSecret === undefined) throw new Error(`${OWNER}: clientAuth applies only with clientSecret`);
  if (options.clientAuth !== undefined && options.clientAuth !== 'client_secret_basic' && options.clientAuth !== 'client_secret_post') {
    throw new Error(`${OWNER}: clientAuth must be client_secret_basic or client_secret_post`);
  }
  const auth = clientAuthentication(options, { owner: OWNER, secretMethod: options.clientAuth ?? 'client_secret_basic' });
  const timeoutMs = timeoutMsOption(OWNER, options.timeoutSeconds);
  let tokenEndpoint: () => Promise<string>;
  let where: string;
  if (options.tokenEndpoint !== undefined) {
    const url = endpointUrl(OWNER, 'tokenEndpoint', options.tokenEndpoint).href;
    tokenEndpoint = async () => url;
    where = url;
  } else {
    const issuer = endpointUrl(OWNER, 'issuer', options.issuer);
    if (issuer.search) throw new Error(`${OWNER}: issuer "${options.issuer}" must not have a query`);
    // Compared with the metadata's `issuer` exactly as configured: no trailing slash added or taken away.
    tokenEndpoint = discoveredTokenEndpoint(options.issuer as string, timeoutMs);
    where = `the token endpoint of ${options.issuer}`;
  }
  const audienceFor = audienceOption(options.audience);

  return {
    presentsSubjectToken: true,
    description: `token exchange at ${where} (${auth.method})`,
    async exchange(subject, request) {
      const token = presentedToken(subject);
      const scopes = checkedScopes(request);
      const body = new URLSearchParams({
        grant_type: TOKEN_EXCHANGE,
        subject_token: token,
        subject_token_type: ACCESS_TOKEN_TYPE,
        requested_token_type: ACCESS_TOKEN_TYPE,
      });
      if (audienceFor) body.set('audience', audienceFor(request.resource));
      else body.set('resource', checkedResource(request));
      if (scopes.length > 0) body.set('scope', scopes.join(' '));
      const endpoint = await tokenEndpoint();
      const headers: Record<string, string> = {};
      await auth.apply(endpoint, headers, body);
      return requestToken({ tokenEndpoint: endpoint, headers, body, timeoutMs, requestedScopes: scopes, secrets: [token, ...auth.secrets] });
    },
  };
}

/** RFC 8707 §2: a resource is an absolute URI without a fragment. */
function checkedResource(request: DownstreamRequest): string {
  if (!URL.canParse(request.resource) || new URL(request.resource).hash) {
    throw new DownstreamTokenError('invalid_target', `tokenFor(): resource ${JSON.stringify(request.resource)} is not an absolute URL without a fragment`);
  }
  return request.resource;
}

function audienceOption(audience: TokenExchangeOptions['audience']): ((resource: string) => string) | undefined {
  if (audience === undefined || typeof audience === 'function') return audience;
  const byResource = new Map(Object.entries(audience));
  return (resource) => {
    const name = byResource.get(resource);
    if (name === undefined) throw new DownstreamTokenError('invalid_target', `tokenExchange(): no audience is configured for the resource ${resource}`);
    return name;
  };
}
