import type { ServerUrls } from '../urls.js';

export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported: string[];
  bearer_methods_supported: string[];
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
  extra: { resourceName?: string; documentationUrl?: string } = {},
): ProtectedResourceMetadata {
  if (authorizationServers.length === 0) throw new Error('protected resource metadata needs at least one authorization server');
  return {
    resource: urls.resource,
    authorization_servers: [...authorizationServers],
    scopes_supported: scopes.filter((s) => s !== 'offline_access'),
    bearer_methods_supported: ['header'],
    ...(extra.resourceName !== undefined && { resource_name: extra.resourceName }),
    ...(extra.documentationUrl !== undefined && { resource_documentation: extra.documentationUrl }),
  };
}
