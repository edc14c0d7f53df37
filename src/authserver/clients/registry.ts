import { randomBytes } from 'node:crypto';
import { hashClientSecret } from './secrets.js';
import { forgetClientUse, lastUse } from './last-use.js';
import type { Store } from '../../store/contract/store.js';
import { findPreset, presetNames, type ClientPreset } from './presets.js';
import { checkRedirectUris, type RedirectPolicy } from './redirect-policy.js';
import { JWT_BEARER } from '../enterprise/id-jag.js';
import { isScopeToken } from '../../resource/scopes.js';
import { TOKEN_EXCHANGE } from '../../resource/downstream.js';

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
  /** The most scopes this client's tokens may carry (space-separated): a machine client's, or an enterprise client's (absent: any of the server's). */
  scope?: string;
  gatehouse_preset?: string;
  /** A machine client: the client_credentials grant only, for the scopes in `scope` (machine-policy.ts). */
  gatehouse_kind?: 'machine';
  /** Where a machine client that authenticates with `private_key_jwt` publishes its public keys… */
  jwks_uri?: string;
  /** …or those keys themselves. */
  jwks?: { keys: Record<string, unknown>[] };
  /** Set only by the operator's CLI: these credentials may call the introspection endpoint. */
  gatehouse_role?: 'resource-server';
  /** A downstream API's credentials (`gatehouse resources add`): its resource identifier; it may also exchange tokens issued for it. */
  gatehouse_resource?: string;
  gatehouse_created_at: number;
}

const CLIENT = 'Client';
const newSecret = () => randomBytes(32).toString('base64url');

/** A client record as stored: the operator's, or one the engine saved at dynamic registration (RFC 7591 metadata). */
type StoredClient = Partial<ClientRecord> & { client_id: string; client_id_issued_at?: number; redirect_uris?: string[] };

/** What a client is, and how it came to be known: made by the operator (`clients add`) or registered at the endpoint (`dynamic`). */
export type ClientKind = 'pre-registered' | 'machine' | 'enterprise' | 'resource-server' | 'dynamic';

export type KnownClient = StoredClient & { kind: ClientKind /** Milliseconds since the epoch; 0 when unknown. */; createdAt: number };

/** What kind of client this is, in words for the console's operators. */
export function clientKindInWords(record: StoredClient): string {
  const kind = clientKind(record);
  if (kind === 'resource-server') return record.gatehouse_resource ? 'downstream API (token exchange, introspection)' : 'resource server (introspection)';
  if (kind === 'dynamic') return 'registered itself';
  if (kind === 'machine') return 'machine client';
  if (kind === 'enterprise') return 'enterprise client (ID-JAG)';
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
  /** With `resourceServer`: the downstream API these credentials are for; they may also exchange its tokens (RFC 8693). */
  downstreamResource?: string;
  /** A client of enterprise-managed authorization: it redeems ID-JAGs with the JWT bearer grant, and nothing else. */
  enterprise?: boolean;
  /** The most scopes the client's tokens may carry (with `enterprise`). */
  scopes?: string[];
  /** With `enterprise`: authenticate with `private_key_jwt` and these keys rather than a secret. */
  keys?: ClientKeys;
  /** A machine client: tokens for itself (client_credentials), only for these scopes. */
  machine?: MachineCredentials;
}

/**
 * How a machine client authenticates: a secret Gatehouse generates, unless it names its public keys (a JWKS URL or
 * the keys themselves), with which it signs `private_key_jwt` assertions (RFC 7523 §2.2).
 */
export interface MachineCredentials extends ClientKeys {
  scopes: string[];
}

/** The public keys of a client that signs `private_key_jwt` assertions (RFC 7523 §2.2) instead of holding a secret. */
export interface ClientKeys {
  jwksUri?: string;
  jwks?: { keys: Record<string, unknown>[] };
}

export function clientKind(record: StoredClient): ClientKind {
  if (record.gatehouse_created_at === undefined) return 'dynamic';
  if (record.gatehouse_kind === 'machine') return 'machine';
  if (record.grant_types?.includes(JWT_BEARER)) return 'enterprise';
  return record.gatehouse_role === 'resource-server' ? 'resource-server' : 'pre-registered';
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
    if (request.machine) return this.#addMachine(request.name, request.machine);
    if (request.scopes?.length && !request.enterprise) throw new Error('--scope applies to --enterprise clients');
    const badScope = request.scopes?.find((s) => !isScopeToken(s));
    if (badScope !== undefined) throw new Error(`"${badScope}" is not a valid OAuth scope`);
    const id = `${preset?.name ?? (request.resourceServer ? 'rs' : request.enterprise ? 'enterprise' : 'client')}-${randomBytes(8).toString('hex')}`;
    if (request.enterprise) {
      if (preset || request.resourceServer || request.redirectUris?.length)
        throw new Error('an --enterprise client has no preset, redirect URIs or other role');
      const { jwksUri, jwks } = request.keys ?? {};
      if (jwksUri !== undefined && jwks !== undefined) throw new Error('give --jwks-uri or --jwks-file, not both');
      const keyed = jwksUri !== undefined || jwks !== undefined;
      const record: ClientRecord = {
        client_id: id,
        client_name: request.name ?? 'Enterprise client',
        ...(!keyed && { client_secret: newSecret() }),
        ...(jwksUri !== undefined && { jwks_uri: jwksUri }),
        ...(jwks !== undefined && { jwks }),
        redirect_uris: [],
        application_type: 'web',
        token_endpoint_auth_method: keyed ? 'private_key_jwt' : 'client_secret_basic',
        grant_types: [JWT_BEARER],
        response_types: [],
        ...(request.scopes?.length && { scope: request.scopes.join(' ') }),
        gatehouse_created_at: Date.now(),
      };
      await this.#save(record);
      return record;
    }
    if (request.resourceServer) {
      const record: ClientRecord = {
        client_id: id,
        client_name: request.name ?? 'Resource server',
        client_secret: newSecret(),
        redirect_uris: [],
        application_type: 'web',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: request.downstreamResource ? [TOKEN_EXCHANGE] : [],
        response_types: [],
        gatehouse_role: 'resource-server',
        ...(request.downstreamResource && { gatehouse_resource: request.downstreamResource }),
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
      ...(confidential && { client_secret: newSecret() }),
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

  async #addMachine(name: string | undefined, machine: MachineCredentials): Promise<ClientRecord> {
    if (machine.scopes.length === 0) throw new Error('a machine client needs at least one --scope');
    if (machine.jwksUri !== undefined && machine.jwks !== undefined) throw new Error('give --jwks-uri or --jwks-file, not both');
    const keyed = machine.jwksUri !== undefined || machine.jwks !== undefined;
    const id = `machine-${randomBytes(8).toString('hex')}`;
    const record: ClientRecord = {
      client_id: id,
      client_name: name ?? id,
      ...(!keyed && { client_secret: newSecret() }),
      redirect_uris: [],
      application_type: 'web',
      token_endpoint_auth_method: keyed ? 'private_key_jwt' : 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      scope: [...new Set(machine.scopes)].join(' '),
      ...(machine.jwksUri !== undefined && { jwks_uri: machine.jwksUri }),
      ...(machine.jwks !== undefined && { jwks: machine.jwks }),
      gatehouse_kind: 'machine',
      gatehouse_created_at: Date.now(),
    };
    await this.#save(record);
    return record;
  }

  /**
   * A new secret for a client that has one; the old one stops working at once. Resolves the plaintext, to show
   * once. A client that authenticates with keys (or none) has no secret to rotate.
   */
  async rotateSecret(clientId: string): Promise<string> {
    const record = await this.find(clientId);
    if (!record) throw new Error(`no client ${clientId}`);
    if (!record.client_secret) throw new Error(`client ${clientId} has no secret (it authenticates with ${record.token_endpoint_auth_method})`);
    const secret = newSecret();
    await this.#save({ ...record, client_secret: secret });
    return secret;
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

  /**
   * Every client in the store, with how it came: registered by the operator (`pre-registered` apps,
   * `machine` clients, `resource-server` introspection credentials) or through the registration endpoint (`dynamic`). Client ID
   * Metadata Document clients are not here: the engine fetches and caches their documents, it never stores them.
   */
  async known(): Promise<KnownClient[]> {
    return (await this.store.list<StoredClient>(CLIENT))
      .map(
        ({ value }): KnownClient => ({
          ...value,
          kind: clientKind(value),
          createdAt: value.gatehouse_created_at ?? (value.client_id_issued_at ?? 0) * 1000,
        }),
      )
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  /** When the client last got a token (ms since the epoch). */
  async lastUse(clientId: string): Promise<number | undefined> {
    return lastUse(this.store, clientId);
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
    await Promise.all([this.store.delete(CLIENT, clientId), forgetClientUse(this.store, clientId)]);
    return true;
  }
}
