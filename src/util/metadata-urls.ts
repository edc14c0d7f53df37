/**
 * Where a client looks for an issuer's metadata, in order (MCP 2025-11-25 "Authorization Server Metadata
 * Discovery"): RFC 8414 path-inserted, OpenID Connect discovery path-inserted, then path-appended; for an issuer
 * without a path, the two root documents.
 */
export function metadataUrls(issuer: URL): string[] {
  const origin = issuer.origin;
  const path = issuer.pathname.replace(/\/+$/, '');
  if (!path) return [`${origin}/.well-known/oauth-authorization-server`, `${origin}/.well-known/openid-configuration`];
  return [
    `${origin}/.well-known/oauth-authorization-server${path}`,
    `${origin}/.well-known/openid-configuration${path}`,
    `${origin}${path}/.well-known/openid-configuration`,
  ];
}
