import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { createMcpHandler, type McpHttpHandler, type StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { serveStdio, type StdioServerHandle } from '@modelcontextprotocol/server/stdio';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import type { AuthMode, AuthSetup, ScopeInfo } from './auth-mode.js';
import { createApp } from './http/app.js';
import { createLogger } from './http/logging.js';
import { buildMcpServer, checkToolDefinition, type ServerInfo, type ToolConfig, type ToolContext, type ToolDefinition, type ToolReturn } from './mcp/tools.js';
import { checkScopeHierarchy, type ScopeHierarchy } from './resource/scopes.js';
import { serverUrls, type ServerUrls } from './urls.js';

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
  /** Trust `X-Forwarded-Host` / `X-Forwarded-For` (only behind a proxy you control). */
  trustProxy?: boolean;
  logger?: Logger;
}

export interface RunningServer {
  urls: ServerUrls;
  port: number;
  /** Lines the auth mode wants shown at start (e.g. a first-user setup link). */
  notices: string[];
  close(): Promise<void>;
}

/**
 * An MCP server with OAuth built in. Register tools with the scopes they need, then `listen()` for
 * Streamable HTTP or `serveStdio()` for local use.
 */
export class GatehouseServer {
  readonly #options: GatehouseOptions;
  readonly #tools: ToolDefinition[] = [];
  readonly logger: Logger;

  constructor(options: GatehouseOptions) {
    checkScopeHierarchy(options.scopeHierarchy ?? {});
    this.#options = options;
    this.logger = options.logger ?? createLogger();
  }

  /** Register a tool. `config.scopes` are checked before the handler runs; the handler reads `ctx.caller`. */
  tool<Schema extends StandardSchemaWithJSON>(
    name: string,
    config: ToolConfig<Schema>,
    handler: (args: StandardSchemaWithJSON.InferOutput<Schema>, ctx: ToolContext) => ToolReturn | Promise<ToolReturn>,
  ): this {
    const definition: ToolDefinition = { name, config: config as ToolConfig, handler };
    checkToolDefinition(definition);
    if (this.#tools.some((t) => t.name === name)) throw new Error(`tool "${name}" is already registered`);
    this.#tools.push(definition);
    return this;
  }

  /** Register a ready-made tool definition (such as the `whoami` demo). */
  addTool(definition: ToolDefinition): this {
    return this.tool(definition.name, definition.config, definition.handler);
  }

  /** Every scope the server uses, for discovery: endpoint scopes first, then each tool's. */
  get scopesSupported(): string[] {
    return [...new Set([...(this.#options.requiredScopes ?? []), ...this.#tools.flatMap((t) => t.config.scopes ?? [])])];
  }

  /** Every scope with its description (from the tools), for consent pages. */
  get scopeInfo(): ScopeInfo[] {
    const descriptions = Object.assign({}, this.#options.scopeDescriptions, ...this.#tools.map((t) => t.config.scopeDescriptions ?? {}));
    return this.scopesSupported.map((name) => ({ name, description: descriptions[name] ?? name }));
  }

  get authKind(): AuthMode['kind'] {
    return this.#options.auth.kind;
  }

  #info(): ServerInfo {
    return { name: this.#options.name, version: this.#options.version ?? '1.0.0', instructions: this.#options.instructions };
  }

  #factory() {
    const info = this.#info();
    const tools = [...this.#tools];
    const policy = { requiredScopes: this.#options.requiredScopes ?? [], hierarchy: this.#options.scopeHierarchy ?? {} };
    return () => buildMcpServer(info, tools, policy);
  }

  /** Build the HTTP application for a known public URL (used by `listen`, and directly by embedders and tests). */
  async createHttpApp(publicUrl: string): Promise<{ app: Hono; urls: ServerUrls; mcp: McpHttpHandler; auth: AuthSetup }> {
    const urls = serverUrls(publicUrl, this.#options.mcpPath);
    const auth = await this.#options.auth.setup({ urls, logger: this.logger, scopes: this.scopeInfo, trustProxy: this.#options.trustProxy ?? false });
    const mcp = createMcpHandler(this.#factory(), {
      onerror: (error) => this.logger.debug({ err: error }, 'mcp request rejected'),
    });
    const app = createApp({
      urls,
      auth,
      mcp,
      scopesSupported: this.scopesSupported,
      requiredScopes: this.#options.requiredScopes ?? [],
      scopeHierarchy: this.#options.scopeHierarchy ?? {},
      allowedHosts: this.#options.allowedHosts ?? [],
      allowedOrigins: this.#options.allowedOrigins ?? [],
      trustProxy: this.#options.trustProxy ?? false,
      resourceName: this.#options.name,
      logger: this.logger,
    });
    return { app: app as unknown as Hono, urls, mcp, auth };
  }

  /** Serve MCP over Streamable HTTP. Port 0 picks a free port. Binds to loopback unless told otherwise. */
  async listen(port = 8000, hostname = '127.0.0.1'): Promise<RunningServer> {
    // Bind first: with port 0 the default public URL (and so every URL we publish) depends on the port we get.
    let handle: (request: Request, env: unknown) => Response | Promise<Response> = () => new Response(null, { status: 503 });
    const server = createServer(getRequestListener((request, env) => handle(request, env)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, hostname, () => resolve());
    });
    const address = server.address();
    const actualPort = typeof address === 'object' && address ? address.port : port;
    let built: Awaited<ReturnType<GatehouseServer['createHttpApp']>>;
    try {
      built = await this.createHttpApp(this.#options.publicUrl ?? `http://localhost:${actualPort}`);
    } catch (error) {
      server.close();
      throw error;
    }
    handle = (request, env) => built.app.fetch(request, env);
    return {
      urls: built.urls,
      port: actualPort,
      notices: built.auth.notices ?? [],
      close: async () => {
        await built.mcp.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await built.auth.close?.();
      },
    };
  }

  /** Serve MCP over stdio. There is no OAuth on stdio (per the MCP spec): the local process is trusted. */
  serveStdio(): StdioServerHandle {
    return serveStdio(this.#factory(), { onerror: (error) => this.logger.debug({ err: error }, 'stdio error') });
  }
}

/** Create a Gatehouse-protected MCP server. */
export function gatehouse(options: GatehouseOptions): GatehouseServer {
  return new GatehouseServer(options);
}
