import { createMcpHandler, type StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { serveStdio, type StdioServerHandle } from '@modelcontextprotocol/server/stdio';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import type { AuthMode, ScopeInfo } from './resource/auth-mode.js';
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
import { logOnlyAudit, type AuditRecorder } from './audit/audit-log.js';
import { checkScopeHierarchy, type ScopeHierarchy } from './resource/scopes.js';
import { serverUrls } from './resource/urls.js';
import { TrustedProxies, type ForwardedHeader, type TrustProxyOption } from './util/trusted-proxies.js';

export type { MetricsOptions, RunningServer } from './http/listen.js';

export interface GatehouseOptions {
  name: string;
  version?: string;
  instructions?: string;
  /** How callers authenticate: `resource({...})`, or an authorization-server mode. */
  auth: AuthMode;
  /** What clients see, e.g. `https://mcp.example.com` behind a tunnel or proxy. Default `http://localhost:<port>`. */
  publicUrl?: string;
  /** Path of the MCP endpoint. Default `/mcp`. */
  mcpPath?: string;
  /** Scopes every request needs, on top of each tool's own. */
  requiredScopes?: string[];
  /** Descriptions for endpoint-wide scopes (tools describe their own). */
  scopeDescriptions?: Record<string, string>;
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
  /** How long `close()` lets requests in progress finish before cutting their connections. Default 10 s. */
  shutdownTimeoutMs?: number;
  logger?: Logger;
}

const MIN_METRICS_TOKEN_LENGTH = 32;

/**
 * An MCP server with OAuth built in. Register tools with the scopes they need, then `listen()` for
 * Streamable HTTP or `serveStdio()` for local use.
 */
export class GatehouseServer {
  readonly #options: GatehouseOptions;
  readonly #tools: ToolRegistry;
  readonly #limits: ResolvedLimits;
  readonly #trustProxy: TrustedProxies;
  #metrics?: GatehouseMetrics;
  readonly logger: Logger;

  constructor(options: GatehouseOptions) {
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
    this.#tools = new ToolRegistry(options);
    this.#options = options;
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
    this.#tools.add({ name, config: config as ToolConfig, handler });
    return this;
  }

  /** Register a ready-made tool definition (such as the `whoami` demo). */
  addTool(definition: ToolDefinition): this {
    return this.tool(definition.name, definition.config, definition.handler);
  }

  /** Every scope the server uses, for discovery: endpoint scopes first, then each tool's. */
  get scopesSupported(): string[] {
    return this.#tools.scopesSupported;
  }

  /** Every scope with its description (from the tools), for consent pages. */
  get scopeInfo(): ScopeInfo[] {
    return this.#tools.scopeInfo;
  }

  get authKind(): AuthMode['kind'] {
    return this.#options.auth.kind;
  }

  #info(): ServerInfo {
    return { name: this.#options.name, version: this.#options.version ?? '1.0.0', instructions: this.#options.instructions };
  }

  #factory(audit: AuditRecorder) {
    return this.#tools.serverFactory(this.#info(), audit);
  }

  /** Build the HTTP application for a known public URL (used by `listen`, and directly by embedders and tests). */
  async createHttpApp(publicUrl: string, hooks: { stopping?: () => boolean } = {}): Promise<BuiltApp> {
    const urls = serverUrls(publicUrl, this.#options.mcpPath);
    const auth = await this.#options.auth.setup({ urls, logger: this.logger, scopes: this.scopeInfo, trustProxy: this.#trustProxy, observer: this.metrics });
    const mcp = createMcpHandler(this.#factory(auth.audit ?? logOnlyAudit(this.logger)), {
      onerror: (error) => this.logger.debug({ err: error }, 'mcp request rejected'),
      maxRequestBodySize: this.#limits.maxBodyBytes,
    });
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
      scopesSupported: this.scopesSupported,
      requiredScopes: this.#options.requiredScopes ?? [],
      scopeHierarchy: this.#options.scopeHierarchy ?? {},
      allowedHosts: this.#options.allowedHosts ?? [],
      allowedOrigins: this.#options.allowedOrigins ?? [],
      trustProxy: this.#trustProxy,
      resourceName: this.#options.name,
      logger: this.logger,
      metrics,
      limits: this.#limits,
      toolCalls,
      dpop,
      callerContext: this.#options.callerContext ?? false,
      // With a port of their own, metrics are served there only.
      metricsToken: metricsOptions?.port === undefined ? metricsOptions?.token : undefined,
      stopping: hooks.stopping,
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
    return serveStdio(this.#factory(logOnlyAudit(this.logger)), { onerror: (error) => this.logger.debug({ err: error }, 'stdio error') });
  }
}

/** Create a Gatehouse-protected MCP server. */
export function gatehouse(options: GatehouseOptions): GatehouseServer {
  return new GatehouseServer(options);
}
