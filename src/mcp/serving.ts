import { McpServer, type McpServerFactory, requireScopes, type ScopeChallengeHandler, type Server, type ServerContext } from '@modelcontextprotocol/server';
import type { Caller } from '../resource/caller.js';
import { callerFromAuthInfo } from './caller.js';
import type { ScopeMap, ScopePolicy, Offering } from './scope-policy.js';
import { isCopyFactory, lowLevel, perRequestCopies, readRegistrations, type RequestHandler, wrapRequestHandler } from './sdk-internals.js';

const DECLARED = Symbol('gatehouse.requires');

type Declared = ScopeChallengeHandler & { readonly [DECLARED]: readonly string[] };

/**
 * Scopes declared next to a registration: `scopeChallenge: requires('notes:read')` on `registerTool`,
 * `registerResource` or `registerPrompt`. Gatehouse reads them for its scope check, discovery and consent; the
 * SDK's own check stays in place too (it sees the granted scopes after the scope hierarchy).
 */
export function requires(...scopes: [string, ...string[]]): ScopeChallengeHandler {
  return Object.assign(requireScopes(...scopes), { [DECLARED]: Object.freeze([...scopes]) });
}

const declaredBy = (registered: { scopeChallenge?: unknown }): readonly string[] | undefined =>
  typeof registered.scopeChallenge === 'function' && DECLARED in registered.scopeChallenge ? (registered.scopeChallenge as Declared)[DECLARED] : undefined;

/** The scopes an McpServer's registrations declare with `requires()`. */
export function declaredScopes(server: McpServer): ScopeMap {
  return readRegistrations(server, declaredBy);
}

/** Told about every tool call once it has finished (the audit trail). */
export type ToolCallObserver = (call: { tool: string; caller: Caller | undefined; outcome: 'success' | 'failure'; durationMs: number }) => void;

/** A server someone built with the SDK: an instance, or the factory they would hand the SDK's HTTP handler. */
export type SdkServer = McpServer | McpServerFactory;

/** A factory for any SDK server: an instance is served through per-request copies sharing its registrations. */
export function factoryOf(server: SdkServer): McpServerFactory {
  return server instanceof McpServer ? perRequestCopies(server) : server;
}

export interface ServingOptions {
  policy: ScopePolicy;
  /** Leave out of `tools/list`, `prompts/list`, `resources/list` and `resources/templates/list` what the caller may not use. */
  hideUnauthorized: boolean;
  onToolCall?: ToolCallObserver;
}

/**
 * Every list a client reads, with the member that holds the entries and the key each entry is checked by.
 * `cacheable`: the answer depends only on what is registered (`resources/list` also asks each template's list
 * callback, per request, so it is not).
 */
const LISTS: readonly { method: string; field: string; kind: Offering; key: string; cacheable: boolean }[] = [
  { method: 'tools/list', field: 'tools', kind: 'tool', key: 'name', cacheable: true },
  { method: 'prompts/list', field: 'prompts', kind: 'prompt', key: 'name', cacheable: true },
  { method: 'resources/list', field: 'resources', kind: 'resource', key: 'uri', cacheable: false },
  { method: 'resources/templates/list', field: 'resourceTemplates', kind: 'resource', key: 'uriTemplate', cacheable: true },
];

/** Distinct scope sets whose lists are kept, per list, before the cache starts over. */
const LIST_CACHE_ENTRIES = 256;

/** List answers by granted scope set, valid while the catalogue version they were made at holds. */
class ListCache {
  #version = -1;
  readonly #answers = new Map<string, Record<string, unknown>>();

  get(key: string, version: number): Record<string, unknown> | undefined {
    return version === this.#version ? this.#answers.get(key) : undefined;
  }

  set(key: string, version: number, answer: Record<string, unknown>): void {
    if (version !== this.#version || this.#answers.size >= LIST_CACHE_ENTRIES) this.#answers.clear();
    this.#version = version;
    this.#answers.set(key, answer);
  }
}

/**
 * Ready a server for serving: tool calls audited, and lists filtered by the caller of each request (read from
 * the handler's context, so one server can serve many callers). Over a server built once (`perRequestCopies`),
 * list answers are made once per catalogue version and visible set, not per request: `tools/list` converts every
 * tool's schemas.
 */
export function servingPreparer(base: McpServerFactory, options: ServingOptions): (product: McpServer | Server) => McpServer | Server {
  const { policy, onToolCall } = options;
  const version = isCopyFactory(base) ? base.catalogueVersion : undefined;
  const caches = new Map(LISTS.filter((list) => list.cacheable && version).map((list) => [list.method, new ListCache()]));
  const granted = (ctx: ServerContext) => (options.hideUnauthorized ? ctx.http?.authInfo?.scopes : undefined);
  return (product) => {
    const server = lowLevel(product);
    if (onToolCall) wrapRequestHandler(server, 'tools/call', (original) => observed(original, onToolCall));
    for (const list of LISTS) {
      const cache = caches.get(list.method);
      if (!cache && !options.hideUnauthorized) continue;
      const visible = (answer: Record<string, unknown>, scopes: readonly string[] | undefined) => {
        const entries = answer[list.field];
        if (scopes === undefined || !Array.isArray(entries)) return answer;
        return { ...answer, [list.field]: entries.filter((entry) => policy.allows(scopes, list.kind, String(entry?.[list.key]))) };
      };
      wrapRequestHandler(server, list.method, (original) => async (request, ctx) => {
        const scopes = granted(ctx);
        if (!cache || request.params?.cursor !== undefined) return visible(await original(request, ctx), scopes);
        const key = scopes === undefined ? '' : scopes.join(' ');
        const at = version!();
        let answer = cache.get(key, at);
        if (!answer) {
          answer = visible(await original(request, ctx), scopes);
          cache.set(key, at, answer);
        }
        return { ...answer }; // the SDK's codecs copy before they change anything; the copy keeps even its top level ours
      });
    }
    return product;
  };
}

/** The factory the SDK's handler is given: the person's servers, readied for serving. */
export function servedFactory(base: McpServerFactory, options: ServingOptions): McpServerFactory {
  const prepare = servingPreparer(base, options);
  return async (ctx) => prepare(await base(ctx));
}

function observed(original: RequestHandler, onToolCall: ToolCallObserver): RequestHandler {
  return async (request, ctx) => {
    const started = performance.now();
    let outcome: 'success' | 'failure' = 'failure';
    try {
      const result = await original(request, ctx);
      if (result?.isError !== true) outcome = 'success';
      return result;
    } finally {
      const tool = String(request.params?.name ?? '');
      onToolCall({ tool, caller: callerFromAuthInfo(ctx.http?.authInfo), outcome, durationMs: Math.round(performance.now() - started) });
    }
  };
}
