import { errors } from 'oidc-provider';
import { imitatedPreset } from './client-identity.js';
import { checkFetchedMetadata } from './fetched-metadata.js';
import { checkMachineMetadata } from './machine-policy.js';
import { TOKEN_EXCHANGE } from '../../resource/downstream.js';
import { checkRedirectUris, type RedirectPolicy } from './redirect-policy.js';
import { isAllowedClient, type AllowedClients } from './stored-client-policy.js';

export interface ClientPolicyOptions {
  /** Which redirect URIs clients may register. Default `{ mode: 'any-safe' }`. */
  redirectPolicy?: RedirectPolicy;
  /**
   * Fetch Client ID Metadata Documents (and the `jwks_uri` of clients) from loopback and private addresses,
   * and over plain http, too. Only for running a metadata-document client on this machine during development:
   * it turns the fetcher into an SSRF tool. The fetcher's size, time, redirect and in-flight caps still hold.
   */
  dangerouslyAllowLoopbackClientMetadata?: boolean;
  /**
   * A dynamic registration whose `client_name` passes for a preset's (`Claude Code`, `ｃｌａｕｄｅ-ｃｏｄｅ`, `Сlaude`
   * with a Cyrillic С) while its redirect URIs are not that app's: `refuse` (the default) answers
   * `invalid_client_metadata`; `flag` registers it and the consent page warns that it may be impersonating that app.
   * Either way its name is shown as unverified.
   */
  presetNameImitation?: 'refuse' | 'flag';
  /** The admin's allowed clients (the console's client policy): others may not register or use a metadata document. */
  allowedClients?: AllowedClients;
}

/** How the client arrived: a dynamic registration (RFC 7591) is the only way oidc-provider validates with a request. */
export interface ClientArrival {
  registration: boolean;
}

/**
 * The check every client passes, however it arrived (registration, metadata document, CLI): it names nothing
 * more for the server to fetch than its keys (`clients/fetched-metadata.ts`), and its redirect URIs satisfy the policy. oidc-provider fills `application_type: web` when a client sends none, so
 * `web` is read as "not said" and inferred from the redirect URIs; `native` is honoured as declared.
 */
export function clientMetadataValidator(options: ClientPolicyOptions): (metadata: Record<string, unknown>, arrival: ClientArrival) => void {
  const policy = options.redirectPolicy ?? { mode: 'any-safe' };
  const imitation = options.presetNameImitation ?? 'refuse';
  return (metadata, arrival) => {
    // Which preset a client is belongs to the operator (the CLI); a registrant or a document cannot claim one.
    if (metadata['gatehouse_preset'] !== undefined && (arrival.registration || isMetadataDocument(metadata))) {
      throw new errors.InvalidClientMetadata('gatehouse_preset is set by the server operator, not by the client');
    }
    checkMachineMetadata(metadata, arrival.registration || isMetadataDocument(metadata));
    if ((arrival.registration || isMetadataDocument(metadata)) && Array.isArray(metadata['grant_types']) && metadata['grant_types'].includes(TOKEN_EXCHANGE)) {
      throw new errors.InvalidClientMetadata('the token-exchange grant is only for downstream APIs the server operator registers');
    }
    checkFetchedMetadata(metadata, options.dangerouslyAllowLoopbackClientMetadata ?? false);
    const listed = Array.isArray(metadata['redirect_uris']) ? (metadata['redirect_uris'] as unknown[]) : [];
    if (listed.some((u) => typeof u !== 'string')) throw new errors.InvalidClientMetadata('redirect_uris must be strings');
    const uris = listed as string[];
    // The operator's own clients (the CLI, the console) are theirs to vet; the allowlist is for clients that come by themselves.
    const document = isMetadataDocument(metadata) ? (metadata['client_id'] as string) : undefined;
    if (options.allowedClients && (arrival.registration || document) && !isAllowedClient(options.allowedClients, uris, document)) {
      throw new errors.InvalidClientMetadata('this server admits only the clients its admin allowed; ask them to allow this one');
    }
    const responseTypes = Array.isArray(metadata['response_types']) ? metadata['response_types'] : [];
    // A client that can never be sent to a redirect (a resource server's introspection credentials) needs none.
    if (uris.length === 0 && responseTypes.length === 0) return;
    const declared = metadata['application_type'] === 'native' ? 'native' : undefined;
    const result = checkRedirectUris(uris, declared, policy);
    if (!result.ok) throw new errors.InvalidClientMetadata(`redirect_uris ${result.reason}`);
    metadata['application_type'] = result.applicationType;
    if (arrival.registration && imitation === 'refuse') {
      const preset = imitatedPreset(metadata['client_name'], uris);
      if (preset) {
        throw new errors.InvalidClientMetadata(
          `client_name passes for ${preset.displayName}, but the redirect_uris are not that app's; choose a name of your own`,
        );
      }
    }
  };
}

const isMetadataDocument = (metadata: Record<string, unknown>) => typeof metadata['client_id'] === 'string' && metadata['client_id'].startsWith('https://');
