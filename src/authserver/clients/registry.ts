import { randomBytes } from 'node:crypto';
import { hashClientSecret } from './secrets.js';
import type { Store } from '../../store/contract/store.js';
import { findPreset, presetNames, type ClientPreset } from './presets.js';
import { checkRedirectUris, type RedirectPolicy } from './redirect-policy.js';

/** A pre-registered client as oidc-provider reads it from the store (kind `Client`). */
export interface ClientRecord {
  client_id: string;
  client_name: string;
  client_secret?: string;
  redirect_uris: string[];
  application_type: 'web' | 'native';
  token_endpoint_auth_method: string;
  grant_types: string[];
  response_types: string[];
  gatehouse_preset?: string;
  /** Set only by the operator's CLI: these credentials may call the introspection endpoint. */
  gatehouse_role?: 'resource-server';
  gatehouse_created_at: number;
}

const CLIENT = 'Client';

/** What kind of client this is, in words for operators. */
export function clientKind(record: ClientRecord): string {
  if (record.gatehouse_role === 'resource-server') return 'resource server (introspection)';
  if (record.gatehouse_created_at === undefined) return 'registered itself';
  if (record.gatehouse_preset) return `preset ${record.gatehouse_preset}`;
  return record.client_secret ? 'confidential app' : 'public app';
}

/** A preset's patterns as registrable URIs: a loopback `:*` port becomes no port (any port matches at authorize time). */
export function registrableUris(preset: ClientPreset): string[] {
  return preset.redirectUris.filter((u) => !u.endsWith('/*')).map((u) => u.replace(/^(http:\/\/(?:localhost|127\.0\.0\.1|\[::1\])):\*/, '$1'));
}

export interface NewClient {
  preset?: string;
  name?: string;
  redirectUris?: string[];
  confidential?: boolean;
  /** Credentials for a resource server to call the introspection endpoint: no redirects, no grants. */
  resourceServer?: boolean;
}

/** Clients registered by the operator (the CLI), kept where oidc-provider finds them. */
export class ClientRegistry {
  constructor(
    private readonly store: Store,
    private readonly policy: RedirectPolicy = { mode: 'any-safe' },
  ) {}

  async add(request: NewClient): Promise<ClientRecord> {
    const preset = request.preset !== undefined ? findPreset(request.preset) : undefined;
    if (request.preset !== undefined && !preset) throw new Error(`unknown preset "${request.preset}"; choose one of: ${presetNames().join(', ')}`);
    const id = `${preset?.name ?? (request.resourceServer ? 'rs' : 'client')}-${randomBytes(8).toString('hex')}`;
    if (request.resourceServer) {
      const record: ClientRecord = {
        client_id: id,
        client_name: request.name ?? 'Resource server',
        client_secret: randomBytes(32).toString('base64url'),
        redirect_uris: [],
        application_type: 'web',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [],
        response_types: [],
        gatehouse_role: 'resource-server',
        gatehouse_created_at: Date.now(),
      };
      await this.#save(record);
      return record;
    }
    const redirectUris = [...(preset ? registrableUris(preset) : []), ...(request.redirectUris ?? [])];
    if (redirectUris.length === 0) throw new Error('a client needs --preset or at least one --redirect-uri');
    const checked = checkRedirectUris(redirectUris, preset?.applicationType, this.policy);
    if (!checked.ok) throw new Error(`redirect URIs refused: ${checked.reason}`);
    const confidential = request.confidential ?? (preset ? preset.tokenEndpointAuthMethod !== 'none' : false);
    const record: ClientRecord = {
      client_id: id,
      client_name: request.name ?? preset?.displayName ?? id,
      ...(confidential && { client_secret: randomBytes(32).toString('base64url') }),
      redirect_uris: redirectUris,
      application_type: checked.applicationType,
      token_endpoint_auth_method: confidential
        ? preset?.tokenEndpointAuthMethod !== 'none' && preset
          ? preset.tokenEndpointAuthMethod
          : 'client_secret_basic'
        : 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...(preset && { gatehouse_preset: preset.name }),
      gatehouse_created_at: Date.now(),
    };
    await this.#save(record);
    return record;
  }

  /** Store a client with its secret hashed; the caller keeps the plaintext to show once. */
  async #save(record: ClientRecord): Promise<void> {
    await this.store.set(CLIENT, record.client_id, record.client_secret ? { ...record, client_secret: hashClientSecret(record.client_secret) } : record);
  }

  /**
   * The operator's client with this id, or undefined (a dynamically registered client is not one: oidc-provider
   * stores only metadata it recognises, so its records never carry `gatehouse_created_at`).
   */
  async find(clientId: string): Promise<ClientRecord | undefined> {
    const record = (await this.store.get<ClientRecord>(CLIENT, clientId))?.value;
    return record?.gatehouse_created_at !== undefined ? record : undefined;
  }

  async list(): Promise<ClientRecord[]> {
    return (await this.store.list<ClientRecord>(CLIENT))
      .map((r) => r.value)
      .filter((c) => c.gatehouse_created_at !== undefined)
      .sort((a, b) => a.gatehouse_created_at - b.gatehouse_created_at);
  }

  /** Every stored client: the operator's, and those that registered themselves (RFC 7591), oldest operator's first. */
  async listAll(): Promise<ClientRecord[]> {
    return (await this.store.list<ClientRecord>(CLIENT))
      .map((r) => r.value)
      .sort((a, b) => (a.gatehouse_created_at ?? Infinity) - (b.gatehouse_created_at ?? Infinity));
  }

  async remove(clientId: string): Promise<boolean> {
    const existing = await this.store.get<ClientRecord>(CLIENT, clientId);
    if (!existing) return false;
    await this.store.delete(CLIENT, clientId);
    return true;
  }
}
