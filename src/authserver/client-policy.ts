import { errors } from 'oidc-provider';
import { checkFetchedMetadata } from './clients/fetched-metadata.js';
import { checkRedirectUris, type RedirectPolicy } from './clients/redirect-policy.js';

export interface ClientPolicyOptions {
  /** Which redirect URIs clients may register. Default `{ mode: 'any-safe' }`. */
  redirectPolicy?: RedirectPolicy;
  /**
   * Fetch Client ID Metadata Documents (and the `jwks_uri` of clients) from loopback and private addresses,
   * and over plain http, too. Only for running a metadata-document client on this machine during development:
   * it turns the fetcher into an SSRF tool. The fetcher's size, time, redirect and in-flight caps still hold.
   */
  dangerouslyAllowLoopbackClientMetadata?: boolean;
}

/**
 * The check every client passes, however it arrived (registration, metadata document, CLI): it names nothing
 * more for the server to fetch than its keys (`clients/fetched-metadata.ts`), and its redirect URIs satisfy the policy. oidc-provider fills `application_type: web` when a client sends none, so
 * `web` is read as "not said" and inferred from the redirect URIs; `native` is honoured as declared.
 */
export function clientMetadataValidator(options: ClientPolicyOptions): (metadata: Record<string, unknown>) => void {
  const policy = options.redirectPolicy ?? { mode: 'any-safe' };
  return (metadata) => {
    checkFetchedMetadata(metadata, options.dangerouslyAllowLoopbackClientMetadata ?? false);
    const listed = Array.isArray(metadata['redirect_uris']) ? (metadata['redirect_uris'] as unknown[]) : [];
    if (listed.some((u) => typeof u !== 'string')) throw new errors.InvalidClientMetadata('redirect_uris must be strings');
    const uris = listed as string[];
    const responseTypes = Array.isArray(metadata['response_types']) ? metadata['response_types'] : [];
    // A client that can never be sent to a redirect (a resource server's introspection credentials) needs none.
    if (uris.length === 0 && responseTypes.length === 0) return;
    const declared = metadata['application_type'] === 'native' ? 'native' : undefined;
    const result = checkRedirectUris(uris, declared, policy);
    if (!result.ok) throw new errors.InvalidClientMetadata(`redirect_uris ${result.reason}`);
    metadata['application_type'] = result.applicationType;
  };
}
