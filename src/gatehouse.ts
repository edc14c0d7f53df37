import {
  createMcpHandler,
  type McpHttpHandler,
  McpServer,
  type McpServerFactory,
  type ServerEventBus,
  type StandardSchemaWithJSON,
} from '@modelcontextprotocol/server';
import { serveStdio, type StdioServerHandle } from '@modelcontextprotocol/server/stdio';
import type { Hono, MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { scopeInfo, type AuthMode, type ScopeDescription, type ScopeInfo } from './resource/auth-mode.js';
import { createApp } from './http/app.js';
import { enableCallerContext } from './mcp/caller.js';
import { resolveLimits, ToolCallLimit, type RequestLimits, type ResolvedLimits } from './http/limits.js';
import { LISTEN_DEFAULTS, listen, type BuiltApp, type MetricsOptions, type RunningServer } from './http/listen.js';
import { createLogger } from './util/logger.js';
import { GatehouseMetrics } from './http/metrics.js';
import { MemoryStore } from './store/memory.js';
import { DpopProofs, type DpopOptions } from './resource/dpop.js';
import type { ServerInfo, ToolConfig, ToolContext, ToolReturn, ToolDefinition } from './mcp/tools.js';
import { ToolRegistry } from './mcp/tool-registry.js';
import { mergeScopeMaps, ScopePolicy, type ScopeMap } from './mcp/scope-policy.js';
import { declaredScopes, factoryOf, servingPreparer, type SdkServer, type ToolCallObserver } from './mcp/serving.js';
import { isCopyFactory, lowLevel } from './mcp/sdk-internals.js';
import { SharedServerLane } from './mcp/shared-server-lane.js';
import { honoMiddleware, nodeMiddleware, routeOwnership, type NodeMiddleware, type RouteOwnership } from './http/mount.js';
import { logOnlyAudit, type AuditRecorder } from './audit/audit-log.js';
import { checkScopeHierarchy, type ScopeHierarchy } from './resource/scopes.js';
import { serverUrls } from './resource/urls.js';
import { brandProblem, type Brand } from './authserver/web/brand.js';
import type { PageTemplates } from './authserver/web/page-templates.js';
import { loadTemplatesDir } from './authserver/web/templates-dir.js';
import { TrustedProxies, type ForwardedHeader, type TrustProxyOption } from './util/trusted-proxies.js';

export type { MetricsOptions, RunningServer } from './http/listen.js';

export interface GatehouseOptions {
  /** The server's name: in MCP's `initialize` for servers built with `tool()`, and as `resource_name` in discovery. */
  name: string;
  version?: string;
  instructions?: string;
  /** How callers authenticate: `resource({...})`, or an authorization-server mode. */
  auth: AuthMode;
  /** What clients see, e.g. `https://mcp.example.com` behind a tunnel or proxy. Default `http://localhost:<port>`. */
  publicUrl?: string;
  /** Path of the MCP endpoint. Default `/mcp`. */
  mcpPath?: string;
  /** Scopes every request needs, on top of each tool's, prompt's and resource's own. */
  requiredScopes?: string[];
  /**
   * The scopes each tool, prompt and resource needs, in one map beside the server (they can also be declared next
   * to each registration: `scopes` in `tool()`, `scopeChallenge: requires(...)` on an SDK server's registrations).
   */
  scopes?: ScopeMap;
  /**
   * Where change notifications go to reach clients' open `subscriptions/listen` streams (MCP 2026-07-28): each
   * request is served by a fresh server, so a handler publishes to this bus. Default: one of the handler's own.
   */
  eventBus?: ServerEventBus;
  /** Leave out of the lists a client reads (`tools/list`, `resources/list`, …) what the caller's token may not use. Default false. */
  hideUnauthorized?: boolean;
  /** What each scope lets an app do, in words a person approves on the consent page (tools may describe their own). */
  scopeDescriptions?: Record<string, ScopeDescription>;
  /** Broad scopes and the narrower ones they imply, e.g. `{ admin: ['read:whoami'] }`. */
  scopeHierarchy?: ScopeHierarchy;
  /** Extra hostnames accepted in `Host` (the public URL's host is always accepted). */
  allowedHosts?: string[];
  /** Browser origins allowed to call the MCP endpoint (the public origin is always allowed). */
  allowedOrigins?: string[];
  /**
   * DPoP (RFC 9449) at the MCP endpoint. A token bound to a key (`cnf.jkt`) is always accepted only with the
   * DPoP scheme and a fresh proof of that key, in every mode; `{ required: true }` refuses bearer tokens outright.
   */
  dpop?: DpopOptions;
  /**
   * Believe forwarded headers from proxies you run: a hop count (`1` for one proxy in front; `true` means the
   * same), or the proxies' addresses and CIDR ranges (`['10.0.0.0/8', '::1']`). The client's address is the
   * right-most forwarded entry that is not a trusted proxy, so entries a client adds itself change nothing.
   * Default: off (the socket's peer is the client).
   */
  trustProxy?: TrustProxyOption;
  /** The header the trusted proxies write the client's address into. Default `x-forwarded-for`. */
  trustProxyHeader?: ForwardedHeader;
  /**
   * Make the caller readable through `getCaller()` anywhere in a tool's async call chain (AsyncLocalStorage).
   * Off by default: on Node 22 it costs about a tenth of the MCP endpoint's throughput, as every promise in the
   * process then pays for async hooks. Tool handlers get the caller as `ctx.caller` either way.
   */
  callerContext?: boolean;
  /** Body and header size caps, timeouts for slow clients, and the per-user tool-call limit (see `DEFAULT_LIMITS`). */
  limits?: RequestLimits;
  /** Where Prometheus metrics are served: on a port of their own, or at `/metrics` behind a token. Default: nowhere. */
  metrics?: MetricsOptions;
  /** Your brand on every page (sign-in, consent, account, admin, errors, setup, landing): name, logo, colour, support link. */
  brand?: Brand;
  /**
   * A directory of Mustache templates replacing pages (`login.html`, `consent.html`, `layout.html`… see
   * docs/templates.md), read once here: a file that is not a page's, or does not parse, throws an `OperatorError`.
   */
  templatesDir?: string;
  /** How long `close()` lets requests in progress finish before cutting their connections. Default 10 s. */
  shutdownTimeoutMs?: number;
  logger?: Logger;
}

/** Options of `protect()`: those of `gatehouse()`, the name being optional (discovery then names no resource). */
export type ProtectOptions = Omit<GatehouseOptions, 'name'> & { name?: string };

const MIN_METRICS_TOKEN_LENGTH = 32;

/**
 * An MCP server with OAuth built in. Register tools with the scopes they need, then `listen()` for
 * Streamable HTTP or `serveStdio()` for local use.
 */
export class GatehouseServer {
  readonly #options: ProtectOptions;
  readonly #tools = new ToolRegistry();
  /** A server built with the SDK, when this one protects it (`protect()`), instead of one built from `tool()`. */
  readonly #server: SdkServer | undefined;
  /** The app mounted in someone else's server (adapters), built on first use. */
  #mounted?: Promise<{ built: BuiltApp; owns: RouteOwnership }>;
  readonly #limits: ResolvedLimits;
  readonly #trustProxy: TrustedProxies;
  readonly #templates: PageTemplates | undefined;
  #metrics?: GatehouseMetrics;
  readonly logger: Logger;

  constructor(options: GatehouseOptions);
  constructor(options: ProtectOptions, server: SdkServer);
  constructor(options: ProtectOptions, server?: SdkServer) {
    if (server !== undefined && !(server instanceof McpServer) && typeof server !== 'function') {
      throw new TypeError('protect() takes an McpServer from @modelcontextprotocol/server, or a function returning a new one per request');
    }
    if (server === undefined && !options.name) throw new TypeError('gatehouse() needs a name for the server');
    this.#server = server;
    checkScopeHierarchy(options.scopeHierarchy ?? {});
    this.#limits = resolveLimits(options.limits);
    this.#trustProxy = TrustedProxies.from(options.trustProxy, options.trustProxyHeader);
    if (options.callerContext) enableCallerContext();
    const token = options.metrics?.token;
    if (token !== undefined && token.length < MIN_METRICS_TOKEN_LENGTH) {
      throw new Error(`metrics.token must be at least ${MIN_METRICS_TOKEN_LENGTH} characters`);
    }
    const shutdown = options.shutdownTimeoutMs;
    if (shutdown !== undefined && !(Number.isFinite(shutdown) && shutdown >= 0)) throw new Error('shutdownTimeoutMs must be a number ≥ 0');
    const brand = options.brand && brandProblem(options.brand);
    if (brand) throw new TypeError(brand);
    this.#templates = options.templatesDir === undefined ? undefined : loadTemplatesDir(options.templatesDir);
    this.#options = options;
    new ScopePolicy(options.scopes ?? {}, options.requiredScopes); // refuses invalid scope names now, not at the first request
    this.logger = options.logger ?? createLogger();
  }

  /** This server's metrics (request counts and latencies, tokens, verifications, rate limits), made on first use. */
  get metrics(): GatehouseMetrics {
    this.#metrics ??= new GatehouseMetrics({ defaultMetrics: this.#options.metrics?.defaultMetrics ?? true });
    return this.#metrics;
  }

  /** Register a tool. `config.scopes` are checked before the handler runs; the handler reads `ctx.caller`. */
  tool<Schema extends StandardSchemaWithJSON>(
    name: string,
    config: ToolConfig<Schema>,
    handler: (args: StandardSchemaWithJSON.InferOutput<Schema>, ctx: ToolContext) => ToolReturn | Promise<ToolReturn>,
  ): this {
    if (this.#server) throw new Error(`tool("${name}"): this server protects an McpServer; register the tool on it with registerTool()`);
    this.#tools.add({ name, config: config as ToolConfig, handler });
    return this;
  }

  /** Register a ready-made tool definition (such as the `whoami` demo). */
  addTool(definition: ToolDefinition): this {
    return this.tool(definition.name, definition.config, definition.handler);
  }

  get authKind(): AuthMode['kind'] {
    return this.#options.auth.kind;
  }

  #info(): ServerInfo {
    return { name: this.#options.name ?? 'gatehouse', version: this.#options.version ?? '1.0.0', instructions: this.#options.instructions };
  }

  /**
   * The scope policy over everything the server offers. A person's own server is asked once, at start, for the
   * scopes its registrations declare with `requires()`; they join the map's and the tools' own.
   */
  async #scopePolicy(): Promise<ScopePolicy> {
    let declared: ScopeMap = {};
    if (this.#server) {
      const probe = this.#server instanceof McpServer ? this.#server : await this.#server({ era: 'modern' });
      if (probe instanceof McpServer) declared = declaredScopes(probe);
    }
    const map = mergeScopeMaps(this.#tools.scopeMap, declared, this.#options.scopes ?? {});
    return new ScopePolicy(map, this.#options.requiredScopes ?? [], this.#options.scopeHierarchy ?? {});
  }

  /**
   * What serves MCP requests: the person's server or the tools, with tool calls audited and lists filtered; and,
   * for a server built once (the tools, or an McpServer instance), the lane that answers stateless 2025 requests
   * from one connected copy of it.
   */
  async #serving(policy: ScopePolicy, audit: AuditRecorder): Promise<{ factory: McpServerFactory; lane?: SharedServerLane }> {
    const base: McpServerFactory = this.#server ? factoryOf(this.#server) : this.#tools.serverFactory(this.#info());
    const onToolCall: ToolCallObserver = ({ tool, caller, outcome, durationMs }) =>
      void audit.record({ type: 'tool.called', tool, subject: caller?.subject, clientId: caller?.clientId, outcome, durationMs });
    const prepare = servingPreparer(base, { policy, hideUnauthorized: this.#options.hideUnauthorized ?? false, onToolCall });
    const factory: McpServerFactory = async (ctx) => prepare(await base(ctx));
    if (!isCopyFactory(base)) return { factory };
    return { factory, lane: await SharedServerLane.open(lowLevel(prepare(await base({ era: 'legacy' })))) };
  }

  /** Every scope with what it lets an app do, for consent pages. */
  #scopeInfo(policy: ScopePolicy): ScopeInfo[] {
    const descriptions = { ...this.#tools.scopeDescriptions, ...this.#options.scopeDescriptions };
    return policy.scopes.map((name) => scopeInfo(name, Object.hasOwn(descriptions, name) ? descriptions[name] : undefined));
  }

  /** Build the HTTP application for a known public URL (used by `listen`, and directly by embedders and tests). */
  async createHttpApp(publicUrl: string, hooks: { stopping?: () => boolean; landingPage?: boolean } = {}): Promise<BuiltApp> {
    const urls = serverUrls(publicUrl, this.#options.mcpPath);
    const policy = await this.#scopePolicy();
    const auth = await this.#options.auth.setup({
      urls,
      logger: this.logger,
      scopes: this.#scopeInfo(policy),
      trustProxy: this.#trustProxy,
      observer: this.metrics,
    });
    const { factory, lane } = await this.#serving(policy, auth.audit ?? logOnlyAudit(this.logger));
    const handler = createMcpHandler(factory, {
      onerror: (error) => this.logger.debug({ err: error }, 'mcp request rejected'),
      maxRequestBodySize: this.#limits.maxBodyBytes,
      ...(this.#options.eventBus && { bus: this.#options.eventBus }),
    });
    const mcp: McpHttpHandler = { ...handler, close: async () => Promise.all([lane?.close(), handler.close()]).then(() => undefined) };
    const metrics = this.metrics;
    const metricsOptions = this.#options.metrics;
    // Without a store of the mode's own (resource mode without one), tool calls are counted, and DPoP proofs
    // remembered, in this process only.
    const store = auth.store ?? new MemoryStore();
    const toolCalls = this.#limits.toolCallsPerMinute > 0 && auth.verifier ? new ToolCallLimit(store, this.#limits.toolCallsPerMinute) : undefined;
    const dpop = auth.verifier ? new DpopProofs({ ...this.#options.dpop, resource: urls.resource, store }) : undefined;
    const app = createApp({
      urls,
      auth,
      mcp,
      ...(lane && { lane }),
      scopesSupported: policy.scopes,
      policy,
      requiredScopes: this.#options.requiredScopes ?? [],
      scopeHierarchy: this.#options.scopeHierarchy ?? {},
      allowedHosts: this.#options.allowedHosts ?? [],
      allowedOrigins: this.#options.allowedOrigins ?? [],
      trustProxy: this.#trustProxy,
      ...(this.#options.name !== undefined && { resourceName: this.#options.name }),
      ...(this.#options.brand !== undefined && { brand: this.#options.brand }),
      ...(this.#templates !== undefined && { templates: this.#templates }),
      logger: this.logger,
      metrics,
      limits: this.#limits,
      toolCalls,
      dpop,
      callerContext: this.#options.callerContext ?? false,
      // With a port of their own, metrics are served there only.
      metricsToken: metricsOptions?.port === undefined ? metricsOptions?.token : undefined,
      stopping: hooks.stopping,
      landingPage: hooks.landingPage,
    });
    return { app: app as unknown as Hono, urls, mcp, auth, metrics };
  }

  /** Serve MCP over Streamable HTTP. Port 0 picks a free port. Binds to loopback unless told otherwise. */
  listen(port: number = LISTEN_DEFAULTS.port, hostname: string = LISTEN_DEFAULTS.host): Promise<RunningServer> {
    return listen({
      port,
      hostname,
      publicUrl: this.#options.publicUrl,
      limits: this.#limits,
      metrics: this.#options.metrics,
      shutdownTimeoutMs: this.#options.shutdownTimeoutMs ?? LISTEN_DEFAULTS.shutdownTimeoutMs,
      logger: this.logger,
      build: (publicUrl, hooks) => this.createHttpApp(publicUrl, hooks),
    });
  }

  /** Serve MCP over stdio. There is no OAuth on stdio (per the MCP spec): the local process is trusted. */
  serveStdio(): StdioServerHandle {
    let factory: Promise<McpServerFactory> | undefined;
    const serve: McpServerFactory = async (ctx) => {
      factory ??= this.#scopePolicy().then(async (policy) => (await this.#serving(policy, logOnlyAudit(this.logger))).factory);
      return (await factory)(ctx);
    };
    return serveStdio(serve, { onerror: (error) => this.logger.debug({ err: error }, 'stdio error') });
  }

  /** The app for mounting in a server someone else runs, built once, at the configured public URL. */
  #mount(): Promise<{ built: BuiltApp; owns: RouteOwnership }> {
    this.#mounted ??= (async () => {
      const { publicUrl } = this.#options;
      if (!publicUrl)
        throw new Error('publicUrl is needed to mount Gatehouse in your own server (it is the address clients use, e.g. https://mcp.example.com)');
      // The host app keeps its own `/`: a mounted gate answers only Gatehouse's routes.
      const built = await this.createHttpApp(publicUrl, { landingPage: false });
      return { built, owns: routeOwnership(built.app) };
    })();
    return this.#mounted;
  }

  /**
   * A web-standard handler, `fetch(request) → Response`: for Next.js route handlers, Bun, Deno and workers-style
   * runtimes. It answers the MCP endpoint and discovery (and 404 for anything else). The embedded and federated
   * authorization servers need a Node server: mount those with `node()`, `express()` or `hono()` on @hono/node-server.
   */
  readonly fetch = async (request: Request): Promise<Response> => (await this.#mount()).built.app.fetch(request);

  /**
   * A Node `(req, res, next)` handler answering Gatehouse's routes (the MCP endpoint, discovery, the authorization
   * server, health checks) and handing anything else to `next`: `http.createServer((req, res) => handle(req, res, () => mine(req, res)))`.
   */
  node(): NodeMiddleware {
    return nodeMiddleware(
      async () => (await this.#mount()).built.app,
      async () => (await this.#mount()).owns,
    );
  }

  /** Express (or Connect) middleware: `app.use(gate.express())`, at the root, before or after `express.json()`. */
  express(): NodeMiddleware {
    return this.node();
  }

  /** Hono middleware: `app.use(gate.hono())`. Served by @hono/node-server, the authorization servers work too. */
  hono(): MiddlewareHandler {
    return honoMiddleware(
      async () => (await this.#mount()).built.app,
      async () => (await this.#mount()).owns,
    );
  }

  /** Close what mounting opened: the MCP handler and the auth mode's store. Servers from `listen()` close themselves. */
  async close(): Promise<void> {
    if (!this.#mounted) return;
    const { built } = await this.#mounted;
    await built.mcp.close();
    await built.auth.close?.();
  }
}

/** Write an MCP server with Gatehouse: register tools with `tool()`, then `listen()`. */
export function gatehouse(options: GatehouseOptions): GatehouseServer {
  return new GatehouseServer(options);
}

/**
 * Protect the MCP server you have: an `McpServer` from the official SDK, or the factory you pass to the SDK's
 * `createMcpHandler`. Its handlers stay yours, and read the caller with `callerOf(ctx)`.
 */
export function protect(server: McpServer | McpServerFactory, options: ProtectOptions): GatehouseServer {
  return new GatehouseServer(options, server);
}
