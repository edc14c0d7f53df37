import type { ServerUrls } from './urls.js';

export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported: string[];
  bearer_methods_supported: string[];
  dpop_signing_alg_values_supported: string[];
  dpop_bound_access_tokens_required?: true;
  resource_name?: string;
  resource_documentation?: string;
}

/**
 * The RFC 9728 document. `offline_access` is never advertised (MCP 2026-07-28, SEP-2207):
 * whether to issue refresh tokens is the authorization server's business, not a scope of this resource.
 */
export function protectedResourceMetadata(
  urls: ServerUrls,
  authorizationServers: readonly string[],
  scopes: readonly string[],
  dpop: { algorithms: readonly string[]; required: boolean },
  extra: { resourceName?: string; documentationUrl?: string } = {},
): ProtectedResourceMetadata {
  if (authorizationServers.length === 0) throw new Error('protected resource metadata needs at least one authorization server');
  return {
    resource: urls.resource,
    authorization_servers: [...authorizationServers],
    scopes_supported: scopes.filter((s) => s !== 'offline_access'),
    bearer_methods_supported: ['header'],
    // RFC 9728 §2: the proof algorithms this resource accepts, and whether a bearer token is refused outright.
    dpop_signing_alg_values_supported: [...dpop.algorithms],
    ...(dpop.required && { dpop_bound_access_tokens_required: true as const }),
    ...(extra.resourceName !== undefined && { resource_name: extra.resourceName }),
    ...(extra.documentationUrl !== undefined && { resource_documentation: extra.documentationUrl }),
  };
}
