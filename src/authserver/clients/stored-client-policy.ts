import type { Store } from '../../store/contract/store.js';
import { findPreset } from './presets.js';
import { compilePattern, allowlistPatterns } from './redirect-policy.js';

/**
 * The client policy an admin set in the console, kept in the store so every replica applies it. A field left out
 * means "as the start-up settings say" (`--no-dynamic-registration`, `--no-client-metadata-documents`): the
 * settings are the defaults, the console's choice overrides them, and the console shows which one applies.
 */
export interface StoredClientPolicy {
  dynamicRegistration?: boolean;
  clientMetadataDocuments?: boolean;
  /** Only these clients may register themselves or arrive by metadata document; none listed: any client. */
  allowedClients?: AllowedClients;
}

/** PropelAuth's "allowed MCP clients": known apps by preset, and hosts (of redirect URIs or metadata documents). */
export interface AllowedClients {
  presets: string[];
  hosts: string[];
}

export interface PolicySettings {
  dynamicRegistration: boolean;
  clientMetadataDocuments: boolean;
}

/** What applies now, and where each part comes from. */
export interface EffectiveClientPolicy extends PolicySettings {
  allowedClients?: AllowedClients;
  from: { dynamicRegistration: 'settings' | 'console'; clientMetadataDocuments: 'settings' | 'console' };
}

export function effectiveClientPolicy(settings: PolicySettings, stored: StoredClientPolicy): EffectiveClientPolicy {
  return {
    dynamicRegistration: stored.dynamicRegistration ?? settings.dynamicRegistration,
    clientMetadataDocuments: stored.clientMetadataDocuments ?? settings.clientMetadataDocuments,
    ...(stored.allowedClients && { allowedClients: stored.allowedClients }),
    from: {
      dynamicRegistration: stored.dynamicRegistration === undefined ? 'settings' : 'console',
      clientMetadataDocuments: stored.clientMetadataDocuments === undefined ? 'settings' : 'console',
    },
  };
}

const KIND = 'ClientPolicy';
const ID = 'current';
const HOST = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** A host as an admin may list it: a plain lowercase DNS name (or `localhost`), no scheme, port or path. */
export function isHostName(value: string): boolean {
  return HOST.test(value);
}

/** The stored policy, cached; `refresh` says whether it changed since last read (here or on another replica). */
export class ClientPolicyStore {
  #current: StoredClientPolicy = {};
  #seen = '{}';

  constructor(private readonly store: Store) {}

  current(): StoredClientPolicy {
    return this.#current;
  }

  async refresh(): Promise<boolean> {
    const value = (await this.store.get<StoredClientPolicy>(KIND, ID))?.value ?? {};
    const seen = JSON.stringify(value);
    if (seen === this.#seen) return false;
    this.#current = value;
    this.#seen = seen;
    return true;
  }

  async save(policy: StoredClientPolicy): Promise<void> {
    const unknown = policy.allowedClients?.presets.find((name) => !findPreset(name));
    if (unknown) throw new Error(`unknown preset "${unknown}"`);
    await this.store.set(KIND, ID, policy);
  }
}

/**
 * Whether a client that registers itself, or arrives by metadata document, is one of the allowed ones: every
 * redirect URI is one of an allowed preset's, or the metadata document (for a document client) or every redirect
 * URI (for a registration) is on an allowed host.
 */
export function isAllowedClient(allowed: AllowedClients, redirectUris: readonly string[], documentUrl?: string): boolean {
  if (allowed.presets.length > 0 && redirectUris.length > 0) {
    const matchers = allowlistPatterns({ mode: 'allowlist', presets: allowed.presets }).map(compilePattern);
    if (redirectUris.every((uri) => matchers.some((match) => match(uri, new URL(uri))))) return true;
  }
  const hostOf = (uri: string) => {
    try {
      return new URL(uri).hostname.replace(/^\[|\]$/g, '');
    } catch {
      return undefined;
    }
  };
  if (documentUrl) return allowed.hosts.includes(hostOf(documentUrl) ?? '');
  return redirectUris.length > 0 && redirectUris.every((uri) => allowed.hosts.includes(hostOf(uri) ?? ''));
}
