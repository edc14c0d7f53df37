import {
  type JSONRPCRequest,
  McpServer,
  type McpServerFactory,
  type MessageExtraInfo,
  type Server,
  type ServerContext,
  type ServerOptions,
} from '@modelcontextprotocol/server';

/**
 * The few places Gatehouse reaches past the SDK's public API, kept in this one file: a registered request
 * handler, wrapped (to filter lists and audit tool calls); an McpServer's registrations, read (for scopes declared
 * next to them, and to serve one instance to many requests); a connected server's request dispatch, entered
 * directly (by the shared server lane). Each checks the shape it expects and fails at start, naming the SDK, if a
 * release has moved it; the test suite runs against the SDK version the package depends on.
 */

// biome-ignore lint/suspicious/noExplicitAny: the SDK's request handlers take and return its protocol types
export type RequestHandler = (request: { method: string; params?: any }, ctx: ServerContext) => Promise<any>;

interface ProtocolInternals {
  _requestHandlers: Map<string, RequestHandler>;
}

interface InboundInternals {
  _onrequest(request: JSONRPCRequest, extra?: MessageExtraInfo): void;
}

interface Registered {
  scopeChallenge?: unknown;
  enabled?: boolean;
}

interface McpServerInternals {
  _registeredTools: Record<string, Registered>;
  _registeredPrompts: Record<string, Registered>;
  _registeredResources: Record<string, Registered>;
  _registeredResourceTemplates: Record<string, Registered & { resourceTemplate: { uriTemplate: { toString(): string } } }>;
}

const REGISTRIES = ['_registeredTools', '_registeredPrompts', '_registeredResources', '_registeredResourceTemplates'] as const;

function sdkChanged(what: string): Error {
  return new Error(`Gatehouse cannot read ${what} of this @modelcontextprotocol/server version; use the version this package depends on`);
}

function handlersOf(server: Server): Map<string, RequestHandler> {
  const handlers = (server as unknown as Partial<ProtocolInternals>)._requestHandlers;
  if (!(handlers instanceof Map)) throw sdkChanged('the request handlers');
  return handlers;
}

function registriesOf(server: McpServer): McpServerInternals {
  const internals = server as unknown as Partial<McpServerInternals>;
  for (const field of REGISTRIES) if (typeof internals[field] !== 'object' || internals[field] === null) throw sdkChanged('the registrations');
  return internals as McpServerInternals;
}

/**
 * Where a connected server's message dispatch (the `onmessage` it sets on its transport) sends a message that the
 * request schema accepts. That dispatch first parses every message as a result and then as an error response,
 * both strict schemas without `method`, so for a request both parses fail; and a failed zod parse keeps what it
 * was given alive until the next full GC (its result's lazy `error` is an accessor, and V8 allocates accessor
 * pairs in the old generation). Every request would be promoted out of the young generation, and the old one
 * fill up to its limit. A transport holding a request hands it here instead, where that dispatch would.
 */
export function requestReceiver(server: Server): (request: JSONRPCRequest, extra?: MessageExtraInfo) => void {
  const receive = (server as unknown as Partial<InboundInternals>)._onrequest;
  if (typeof receive !== 'function') throw sdkChanged('the request dispatch');
  return (request, extra) => receive.call(server, request, extra);
}

/** The low-level server behind what a factory returns. */
export function lowLevel(product: McpServer | Server): Server {
  return product instanceof McpServer ? product.server : product;
}

/** Replace the handler of `method`, if the server has one, by `wrap(original)`. */
export function wrapRequestHandler(server: Server, method: string, wrap: (original: RequestHandler) => RequestHandler): void {
  const handlers = handlersOf(server);
  const original = handlers.get(method);
  if (original) handlers.set(method, wrap(original));
}

/** What each registration declares about itself, by the key a request names it with. */
export interface Registrations<T> {
  tools: Record<string, T>;
  prompts: Record<string, T>;
  /** By exact URI, and templates by their template text. */
  resources: Record<string, T>;
}

/** Read one property of every registration (its scope challenge, say), keyed as requests name them. */
export function readRegistrations<T>(server: McpServer, read: (registered: Registered) => T | undefined): Registrations<T> {
  const r = registriesOf(server);
  const pick = (entries: [string, Registered][]) => {
    const out: Record<string, T> = {};
    for (const [key, registered] of entries) {
      const value = read(registered);
      if (value !== undefined) out[key] = value;
    }
    return out;
  };
  return {
    tools: pick(Object.entries(r._registeredTools)),
    prompts: pick(Object.entries(r._registeredPrompts)),
    resources: pick([
      ...Object.entries(r._registeredResources),
      ...Object.values(r._registeredResourceTemplates).map((t) => [t.resourceTemplate.uriTemplate.toString(), t] as [string, Registered]),
    ]),
  };
}

interface LowLevelInternals {
  _serverInfo: { name: string; version: string };
  /** The options the server was made with (request-state verification, input-required serving, cache hints…). */
  _options?: ServerOptions;
  _capabilities: Record<string, unknown>;
}

interface HandlerSetters {
  _toolHandlersInitialized: boolean;
  _resourceHandlersInitialized: boolean;
  _promptHandlersInitialized: boolean;
  _completionHandlerInitialized: boolean;
  setToolRequestHandlers(): void;
  setResourceRequestHandlers(): void;
  setPromptRequestHandlers(): void;
  setCompletionRequestHandler(): void;
}

/** A factory of copies sharing one server's registrations, and a number that changes whenever they do. */
export type CopyFactory = McpServerFactory & { catalogueVersion(): number };

export function isCopyFactory(factory: McpServerFactory): factory is CopyFactory {
  return typeof (factory as Partial<CopyFactory>).catalogueVersion === 'function';
}

/**
 * A counter bumped on every change to the instance's tools, resources, templates or prompts: each registration,
 * update, enable, disable and removal calls one of its `send…ListChanged` methods (on the instance registered on).
 */
function watchCatalogue(instance: McpServer): () => number {
  let version = 0;
  const methods = ['sendToolListChanged', 'sendResourceListChanged', 'sendPromptListChanged'] as const;
  for (const method of methods) {
    const original = instance[method];
    if (typeof original !== 'function') throw sdkChanged('the list-change notifications');
    instance[method] = function (this: McpServer) {
      version += 1;
      return original.call(this);
    };
  }
  return () => version;
}

/**
 * Serve one McpServer instance to many requests. The SDK's HTTP handler wants a fresh server per request (an
 * instance serves one transport at a time), so each request gets a new McpServer that shares the instance's
 * registrations: tools, resources, templates and prompts registered, updated, enabled or removed later reach
 * every request. Handlers set directly on the instance's low-level `server` are carried over as they were set.
 */
export function perRequestCopies(instance: McpServer): CopyFactory {
  const registries = registriesOf(instance);
  const low = instance.server as unknown as Partial<LowLevelInternals>;
  if (typeof low._serverInfo !== 'object' || low._serverInfo === null) throw sdkChanged('the server information');
  const source = instance as unknown as HandlerSetters;
  const setters = [
    ['_toolHandlersInitialized', 'setToolRequestHandlers'],
    ['_resourceHandlersInitialized', 'setResourceRequestHandlers'],
    ['_promptHandlersInitialized', 'setPromptRequestHandlers'],
    ['_completionHandlerInitialized', 'setCompletionRequestHandler'],
  ] as const;
  for (const [flag, setter] of setters) if (typeof source[flag] !== 'boolean' || typeof source[setter] !== 'function') throw sdkChanged('the handler set-up');
  const catalogueVersion = watchCatalogue(instance);
  const copy = () => {
    // The instance's own options, with the capabilities as they are now (registrations add to them).
    const server = new McpServer(low._serverInfo!, { ...low._options, capabilities: { ...low._capabilities } });
    for (const field of REGISTRIES) (server as unknown as McpServerInternals)[field] = registries[field] as never;
    const target = server as unknown as HandlerSetters;
    for (const [flag, setter] of setters) if (source[flag] && !target[flag]) target[setter]();
    // Handlers set on the instance's low-level server itself (`server.server.setRequestHandler(...)`) answer too.
    const own = handlersOf(server.server);
    for (const [method, handler] of handlersOf(instance.server)) if (!own.has(method)) own.set(method, handler);
    return server;
  };
  return Object.assign(copy, { catalogueVersion });
}
