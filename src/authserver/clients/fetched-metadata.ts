import { errors } from 'oidc-provider';

/**
 * Client metadata that would make the server fetch more than the client's own document, and that MCP clients
 * do not need: refused wherever a client comes from (registration, metadata document, CLI). The engine would
 * fetch `sector_identifier_uri` at registration; `request_uris` names request objects to fetch later.
 */
export const REFUSED_FETCHING_FIELDS = ['sector_identifier_uri', 'request_uris'] as const;

/**
 * Refuse metadata that sends the server to fetch for the client. `jwks_uri` stays, for machine clients that
 * authenticate with `private_key_jwt`, but only over https (plain http only with the development option), and
 * always through the guarded fetcher and its size cap.
 */
export function checkFetchedMetadata(metadata: Record<string, unknown>, allowHttp: boolean): void {
  for (const field of REFUSED_FETCHING_FIELDS) {
    if (metadata[field] !== undefined) throw new errors.InvalidClientMetadata(`${field} is not supported: it would make this server fetch it`);
  }
  const jwksUri = metadata['jwks_uri'];
  if (jwksUri === undefined) return;
  const url = typeof jwksUri === 'string' ? URL.parse(jwksUri) : null;
  if (!url || !(url.protocol === 'https:' || (allowHttp && url.protocol === 'http:'))) {
    throw new errors.InvalidClientMetadata('jwks_uri must be an https URL');
  }
}
