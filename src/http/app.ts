import type { McpHttpHandler } from '@modelcontextprotocol/server';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { brandPages, type Brand } from '../authserver/web/brand.js';
import { templatePages, type PageTemplates } from '../authserver/web/page-templates.js';
import type { AuthSetup } from '../resource/auth-mode.js';
import type { DpopProofs } from '../resource/dpop.js';
import type { ScopeHierarchy } from '../resource/scopes.js';
import type { ScopePolicy } from '../mcp/scope-policy.js';
import type { SharedServerLane } from '../mcp/shared-server-lane.js';
import type { ServerUrls } from '../resource/urls.js';
import type { Env } from './app-env.js';
import { canonicalPaths } from './canonical-path.js';
import { mountResourceMetadata } from './discovery.js';
import { renderErrors, renderNotFound } from './error-rendering.js';
import { hostGuard, requestGuards, type RequestGuardOptions } from './guards.js';
import { requestIdentity } from './identity.js';
import { browserEndpoint } from './browser-endpoints.js';
import { bodyLimits, resolveLimits, type ResolvedLimits, type ToolCallLimit } from './limits.js';
import { mcpEndpoint } from './mcp-endpoint.js';
import { mountLandingPage } from './landing-page.js';
import { GatehouseMetrics } from './metrics.js';
import { mountOpsRoutes, opsRoutes } from './ops-routes.js';
import { observeRequests } from './request-observer.js';
import { takeBearerAuthorization } from './take-authorization.js';

export interface AppOptions extends RequestGuardOptions {
  urls: ServerUrls;
  auth: AuthSetup;
  mcp: McpHttpHandler;
  /** Answers stateless 2025 requests from one connected server, when the server is built once. */
  lane?: SharedServerLane;
  /** Every scope the server's tools and endpoint use: advertised in metadata and named in 401 challenges. */
  scopesSupported: readonly string[];
  requiredScopes: readonly string[];
  scopeHierarchy: ScopeHierarchy;
  resourceName?: string;
  /** The operator's brand on every page (its header, title, colour and support link). */
  brand?: Brand;
  /** The operator's page templates, read at start, replacing the built-in pages they name. */
  templates?: PageTemplates;
  logger: Logger;
  /** Where request counts and latencies go. Default: a registry of the app's own, without process metrics. */
  metrics?: GatehouseMetrics;
  /** Body caps and the per-user tool-call limit. Default: the `DEFAULT_LIMITS`. */
  limits?: ResolvedLimits;
  /** Counts tool calls per user; absent, tool calls are not limited. */
  toolCalls?: ToolCallLimit;
  /** Checks DPoP proofs at the MCP endpoint (needed whenever tokens are verified). */
  dpop?: DpopProofs;
  /** Serve `/metrics` on this app, to requests bearing this token. Absent: no metrics route here. */
  metricsToken?: string;
  /** Run each MCP request with its caller in AsyncLocalStorage, for `getCaller()`. */
  callerContext?: boolean;
  /** The scopes each tool, prompt and resource needs (checked at the MCP endpoint once the body is read). */
  policy?: ScopePolicy;
  /** True once the server is shutting down: readiness then fails so load balancers move on. */
  stopping?: () => boolean;
  /** Serve a page at the root for people who open the server's address. Off when mounted: the host app owns `/`. Default true. */
  landingPage?: boolean;
}

/** Compose the HTTP surface, in the order a request meets it. */
export function createApp(options: AppOptions): Hono<Env> {
  const { urls, auth, logger, dpop } = options;
  if (auth.verifier && !dpop) throw new Error('createApp: a mode that verifies tokens needs the dpop option');
  const metrics = options.metrics ?? new GatehouseMetrics({ defaultMetrics: false });
  const limits = options.limits ?? resolveLimits();
  const guards = requestGuards(options);
  const ops = opsRoutes(urls, options.metricsToken);
  const app = new Hono<Env>();
  if (options.brand) app.use(brandPages({ ...options.brand, ...(options.resourceName !== undefined && { serverName: options.resourceName }) }));
  if (options.templates) app.use(templatePages(options.templates));

  // Request-wide: counted and logged, the bearer token taken off first, the Host checked (and which of the server's
  // names it is), paths and bodies bounded.
  app.use(observeRequests({ urls, logger, metrics, trustProxy: options.trustProxy, isOpsPath: ops.isOpsPath }));
  if (auth.verifier) app.use(takeBearerAuthorization(urls.mcpPath));
  app.use(hostGuard(guards, ops.isOpsPath));
  app.use(requestIdentity(urls, guards));
  app.use(canonicalPaths(urls.basePath));
  app.use(bodyLimits({ mcpPath: urls.mcpPath, basePath: urls.basePath, limits }));

  // Routes: probes and metrics, discovery, the mode's own (an authorization server's), and the MCP endpoint.
  mountOpsRoutes(app, ops, { auth, metrics, metricsToken: options.metricsToken, stopping: options.stopping });
  if (auth.verifier && dpop) mountResourceMetadata(app, { ...options, authorizationServers: auth.authorizationServers, dpop });
  for (const path of auth.browserEndpoints ?? []) app.use(path, browserEndpoint(guards));
  auth.mount?.(app as unknown as Hono);
  app.all(urls.mcpPath, mcpEndpoint({ ...options, guards, metrics, limits }));
  if (options.landingPage !== false) mountLandingPage(app, { urls, auth, resourceName: options.resourceName });

  app.notFound(renderNotFound);
  app.onError(renderErrors(logger));
  return app;
}
