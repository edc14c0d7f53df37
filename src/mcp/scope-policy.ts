import { UriTemplate } from '@modelcontextprotocol/server';
import { isScopeToken, missingScopes, type ScopeHierarchy } from '../resource/scopes.js';

/** One scope, or every scope of a list, that a caller's token must grant. */
export type ScopeList = string | readonly string[];

/**
 * The scopes each thing a server offers needs, declared beside the server: tools and prompts by name, resources
 * by exact URI or by URI template (RFC 6570, as registered), and a default for whatever is not named.
 */
export interface ScopeMap {
  tools?: Record<string, ScopeList>;
  prompts?: Record<string, ScopeList>;
  /** Keys are exact resource URIs (`notes://private`) or the templates they were registered with (`notes://{id}`). */
  resources?: Record<string, ScopeList>;
  /** For any tool, prompt or resource the map does not name. Default: none beyond the endpoint's. */
  default?: ScopeList;
}

/** What kind of thing a request or a list entry is about. */
export type Offering = 'tool' | 'prompt' | 'resource';

/** What a refused request is told: every scope it needs, so the client can step up in one go. */
export interface ScopeShortfall {
  scopes: readonly string[];
  description: string;
}

interface JsonRpcRequest {
  method?: unknown;
  params?: unknown;
}

/** Several scope maps as one: where two name the same thing, it needs the scopes of both. */
export function mergeScopeMaps(...maps: ScopeMap[]): ScopeMap {
  // Prototype-free: a tool may well be named `constructor` or `__proto__`.
  const merged: Required<Omit<ScopeMap, 'default'>> = { tools: Object.create(null), prompts: Object.create(null), resources: Object.create(null) };
  let defaults: string[] | undefined;
  for (const map of maps) {
    for (const kind of ['tools', 'prompts', 'resources'] as const) {
      for (const [key, scopes] of Object.entries(map[kind] ?? {})) {
        merged[kind][key] = [...new Set([...asList(merged[kind][key]), ...asList(scopes)])];
      }
    }
    if (map.default !== undefined) defaults = [...new Set([...(defaults ?? []), ...asList(map.default)])];
  }
  return { ...merged, ...(defaults !== undefined && { default: defaults }) };
}

const asList = (scopes: ScopeList | undefined): readonly string[] => (scopes === undefined ? [] : typeof scopes === 'string' ? [scopes] : scopes);

/**
 * The one scope check for everything an MCP server offers, read from the JSON-RPC request before the SDK sees it:
 * `tools/call`, `prompts/get`, `resources/read` and `resources/subscribe`, and completions for a prompt's or a
 * template's arguments (they reveal what the thing would). The endpoint's scopes are checked by the bearer gate
 * before this; what is returned here is their union with the thing's own, as the challenge names both.
 */
export class ScopePolicy {
  readonly #tools: Map<string, readonly string[]>;
  readonly #prompts: Map<string, readonly string[]>;
  readonly #resources: Map<string, readonly string[]>;
  readonly #templates: { template: UriTemplate; source: string; scopes: readonly string[] }[];
  readonly #default: readonly string[];
  readonly #endpoint: readonly string[];
  readonly #hierarchy: ScopeHierarchy;

  constructor(map: ScopeMap, endpointScopes: readonly string[] = [], hierarchy: ScopeHierarchy = {}) {
    const checked = (where: string, scopes: ScopeList | undefined) => {
      const list = asList(scopes);
      for (const scope of list) if (!isScopeToken(scope)) throw new TypeError(`scopes.${where}: "${scope}" is not a valid OAuth scope`);
      return [...new Set([...endpointScopes, ...list])];
    };
    const entries = (kind: string, record: Record<string, ScopeList> | undefined) =>
      Object.entries(record ?? {}).map(([key, scopes]) => [key, checked(`${kind}["${key}"]`, scopes)] as const);
    this.#tools = new Map(entries('tools', map.tools));
    this.#prompts = new Map(entries('prompts', map.prompts));
    const resources = entries('resources', map.resources);
    this.#resources = new Map(resources.filter(([key]) => !isTemplate(key)));
    this.#templates = resources.filter(([key]) => isTemplate(key)).map(([source, scopes]) => ({ template: new UriTemplate(source), source, scopes }));
    this.#default = checked('default', map.default);
    this.#endpoint = endpointScopes;
    this.#hierarchy = hierarchy;
  }

  /** Every scope named anywhere, endpoint scopes first: what discovery advertises and consent describes. */
  get scopes(): string[] {
    const all = [
      ...this.#endpoint,
      ...this.#default,
      ...[...this.#tools.values(), ...this.#prompts.values(), ...this.#resources.values()].flat(),
      ...this.#templates.flatMap((t) => t.scopes),
    ];
    return [...new Set(all)];
  }

  /** The scopes one thing needs: its own (with the endpoint's), or the default when the map does not name it. */
  requiredFor(kind: Offering, key: string): readonly string[] {
    if (kind === 'tool') return this.#tools.get(key) ?? this.#default;
    if (kind === 'prompt') return this.#prompts.get(key) ?? this.#default;
    const exact = this.#resources.get(key);
    if (exact) return exact;
    // A template is named by its own text (as `resources/templates/list` shows it) or matched by a URI it yields.
    const template = this.#templates.find((t) => t.source === key) ?? this.#templates.find((t) => t.template.match(key) !== null);
    return template?.scopes ?? this.#default;
  }

  /** Whether granted scopes (after the hierarchy) cover what one thing needs: for hiding it from lists. */
  allows(granted: readonly string[], kind: Offering, key: string): boolean {
    return missingScopes(granted, this.requiredFor(kind, key), this.#hierarchy).length === 0;
  }

  /**
   * What a parsed JSON-RPC body (one message or a batch) asks for that the granted scopes do not cover, or
   * `undefined` when nothing is missing. Requests this policy does not govern (lists, ping, …) pass.
   */
  shortfall(body: unknown, granted: readonly string[]): ScopeShortfall | undefined {
    const messages = Array.isArray(body) ? body : [body];
    const needed = new Set<string>();
    const what: string[] = [];
    for (const message of messages) {
      const target = targetOf(message as JsonRpcRequest);
      if (!target) continue;
      const required = this.requiredFor(target.kind, target.key);
      if (missingScopes(granted, required, this.#hierarchy).length === 0) continue;
      for (const scope of required) needed.add(scope);
      what.push(target.kind);
    }
    if (needed.size === 0) return undefined;
    const scopes = [...needed];
    const subject = what.length === 1 ? `This ${what[0]}` : 'These requests';
    return { scopes, description: `${subject} requires the scopes: ${scopes.join(' ')}` };
  }
}

const isTemplate = (key: string) => key.includes('{');

/** The tool, prompt or resource a JSON-RPC request acts on, if it acts on one. */
function targetOf(message: JsonRpcRequest | null | undefined): { kind: Offering; key: string } | undefined {
  if (typeof message !== 'object' || message === null || typeof message.method !== 'string') return undefined;
  const params = (typeof message.params === 'object' && message.params !== null ? message.params : {}) as Record<string, unknown>;
  switch (message.method) {
    case 'tools/call':
      return typeof params['name'] === 'string' ? { kind: 'tool', key: params['name'] } : undefined;
    case 'prompts/get':
      return typeof params['name'] === 'string' ? { kind: 'prompt', key: params['name'] } : undefined;
    case 'resources/read':
    case 'resources/subscribe':
      return typeof params['uri'] === 'string' ? { kind: 'resource', key: params['uri'] } : undefined;
    case 'completion/complete': {
      const ref = (typeof params['ref'] === 'object' && params['ref'] !== null ? params['ref'] : {}) as Record<string, unknown>;
      if (ref['type'] === 'ref/prompt' && typeof ref['name'] === 'string') return { kind: 'prompt', key: ref['name'] };
      if (ref['type'] === 'ref/resource' && typeof ref['uri'] === 'string') return { kind: 'resource', key: ref['uri'] };
      return undefined;
    }
    default:
      return undefined;
  }
}
