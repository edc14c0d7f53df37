import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import { isJsonContentType, type AuthInfo, type McpHttpHandler } from '@modelcontextprotocol/server';
import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import type { AuthSetup } from '../resource/auth-mode.js';
import type { Caller } from '../resource/caller.js';
import { runAsCaller } from '../mcp/caller.js';
import type { DpopProofs } from '../resource/dpop.js';
import { bearerGate, type GateOutcome, type GateResult } from '../resource/gate.js';
import { protectedResourceMetadata } from '../resource/metadata.js';
import type { ScopeHierarchy } from '../resource/scopes.js';
import { StoreUnavailableError } from '../store/store.js';
import { HttpError, NotFoundError, ServerError, TooManyRequestsError } from '../util/http-error.js';
import { PRM_WELL_KNOWN, type ServerUrls } from '../resource/urls.js';
import { canonicalPaths } from './canonical-path.js';
import { clientAddress, peerAddress } from '../util/client-address.js';
import { corsPreflight, withCors } from './cors.js';
import { forbiddenResponse, requestGuards, type RequestGuardOptions } from './guards.js';
import { healthResponse, readinessResponse } from './health.js';
import { bodyLimits, mcpBodyTooLarge, resolveLimits, type ResolvedLimits, type ToolCallLimit } from './limits.js';
import { readMcpBody } from './mcp-body.js';
import { GatehouseMetrics, methodLabel, metricsEndpoint, routeLabel, type RouteLabel, type VerificationResult } from './metrics.js';
import { takeAuthorization } from './take-authorization.js';

export interface AppOptions extends RequestGuardOptions {
  urls: ServerUrls;
  auth: AuthSetup;
  mcp: McpHttpHandler;
  /** Every scope the server's tools and endpoint use: advertised in metadata and named in 401 challenges. */
  scopesSupported: readonly string[];
  requiredScopes: readonly string[];
  scopeHierarchy: ScopeHierarchy;
  resourceName?: string;
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
  /** True once the server is shutting down: readiness then fails so load balancers move on. */
  stopping?: () => boolean;
}

type Outcome = GateOutcome | 'forbidden_host' | 'forbidden_origin' | 'rate_limited' | 'store_unavailable';
type Env = { Variables: { caller?: Caller; outcome?: Outcome; authorization?: string | null; corsOrigin?: string } };

/**
 * Which limit a 429 comes from, for `gatehouse_rate_limited_total`: the per-user tool-call limit at the MCP
 * endpoint, the per-address limits of the authorization server's endpoints, and the sign-in throttle.
 */
function limitName(route: RouteLabel, path: string, basePath: string): string {
  switch (route) {
    case '/mcp':
      return 'tool_calls';
    case '/auth':
      return 'authorization';
    case '/reg':
      return 'registration';
    case '/token':
      return path === `${basePath}/token/introspection` ? 'introspection' : 'token';
    case '/interaction':
    case '/account':
      return 'login';
    default:
      return 'other';
  }
}

/** Compose the HTTP surface: guards, logging, discovery documents, the mode's own routes, and the protected MCP endpoint. */
export function createApp(options: AppOptions): Hono<Env> {
  const { urls, auth, logger } = options;
  const app = new Hono<Env>();
  const guards = requestGuards(options);

  const metrics = options.metrics ?? new GatehouseMetrics({ defaultMetrics: false });
  const limits = options.limits ?? resolveLimits();
  const opsPaths = { health: `${urls.basePath}/healthz`, ready: `${urls.basePath}/readyz`, metrics: `${urls.basePath}/metrics` };
  // Probes and scrapers reach a replica by its own address, so the Host check would refuse them; these routes
  // reveal nothing a rebinding page could use (and metrics need their token).
  const isOpsPath = (path: string) => path === opsPaths.health || path === opsPaths.ready || (options.metricsToken !== undefined && path === opsPaths.metrics);

  const takesBearer = auth.verifier !== undefined;
  app.use(async (c, next) => {
    const started = performance.now();
    if (takesBearer && c.req.path === urls.mcpPath) {
      // First of all, before anything could copy the request's headers (see takeAuthorization).
      const incoming = nodeRequest(c);
      c.set('authorization', incoming ? takeAuthorization(incoming) : c.req.header('authorization') ?? null);
    }
    const ops = isOpsPath(c.req.path);
    const hostProblem = ops ? undefined : guards.checkHost(c.req.raw.headers, peerAddress(c));
    if (hostProblem) {
      c.set('outcome', 'forbidden_host');
      c.res = forbiddenResponse(hostProblem);
    } else {
      await next();
    }
    // Routes handed to oidc-provider answer on the node response directly; leave their response alone.
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    const answeredDirectly = outgoing?.headersSent === true;
    if (!answeredDirectly) c.header('X-Content-Type-Options', 'nosniff');
    const caller = c.get('caller');
    const status = answeredDirectly ? outgoing!.statusCode : c.res.status;
    const seconds = (performance.now() - started) / 1000;
    const outcome = c.get('outcome') ?? (status === 429 ? 'rate_limited' : status === 413 ? 'too_large' : status < 400 ? 'ok' : 'error');
    const route = routeLabel(c.req.path, urls);
    const method = methodLabel(c.req.method);
    metrics.requests.inc({ route, method, status: String(status), outcome });
    metrics.duration.observe({ route, method }, seconds);
    if (status === 429) metrics.rateLimited.inc({ limit: limitName(route, c.req.path, urls.basePath) });
    // Probes come every few seconds: their lines would drown the rest at the default level.
    const level = ops ? 'debug' : 'info';
    if (!logger.isLevelEnabled(level)) return;
    logger[level](
      {
        method: c.req.method,
        path: c.req.path, // never the query string: it may carry a token someone tried to send there
        status,
        durationMs: Math.round(seconds * 10_000) / 10,
        ip: clientAddress(c, options.trustProxy),
        ...(caller && { subject: caller.subject, clientId: caller.clientId }),
        outcome,
      },
      'request',
    );
  });

  app.use(canonicalPaths(urls.basePath));
  app.use(bodyLimits({ mcpPath: urls.mcpPath, basePath: urls.basePath, limits }));

  app.get(opsPaths.health, () => healthResponse());
  app.get(opsPaths.ready, () => readinessResponse(auth, options.stopping?.() ?? false));
  const metricsToken = options.metricsToken;
  if (metricsToken !== undefined) app.get(opsPaths.metrics, (c) => metricsEndpoint(metrics, c.req.header('authorization'), metricsToken));

  const dpop = options.dpop;
  if (auth.verifier && !dpop) throw new Error('createApp: a mode that verifies tokens needs the dpop option');
  if (auth.verifier && dpop) {
    const metadata = protectedResourceMetadata(urls, auth.authorizationServers, options.scopesSupported, dpop, { resourceName: options.resourceName });
    const serveMetadata = () =>
      Response.json(metadata, { headers: { 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'public, max-age=300' } });
    const pathInserted = new URL(urls.resourceMetadata).pathname;
    for (const path of new Set([pathInserted, PRM_WELL_KNOWN])) {
      app.get(path, serveMetadata);
      app.options(path, () => new Response(null, { status: 204, headers: corsPreflightHeaders() }));
    }
  }

  auth.mount?.(app as unknown as Hono);

  const gate = auth.verifier && dpop
    ? bearerGate({
        dpop,
        urls,
        verifier: auth.verifier,
        challengeScopes: options.scopesSupported,
        requiredScopes: options.requiredScopes,
        scopeHierarchy: options.scopeHierarchy,
        dangerouslyAcceptMissingAudience: auth.dangerouslyAcceptMissingAudience,
        onCacheLookup: (result) => metrics.verificationCache(result),
        onVerifierError: (error) => logger.error({ err: error }, 'token verifier failed unexpectedly'),
      })
    : undefined;

  app.all(urls.mcpPath, async (c) => {
    const originProblem = guards.checkOrigin(c.req.raw.headers);
    if (originProblem) {
      c.set('outcome', 'forbidden_origin');
      return forbiddenResponse(originProblem);
    }
    const origin = c.req.header('origin');
    if (origin !== undefined && c.req.method === 'OPTIONS') return corsPreflight(origin);
    if (origin !== undefined) c.set('corsOrigin', origin); // errors thrown below are rendered with CORS too
    const response = await serveMcp(c);
    return origin === undefined ? response : withCors(response, origin);
  });

  async function serveMcp(c: Context<Env>): Promise<Response> {
    let authInfo: AuthInfo | undefined;
    let caller: Caller | undefined;
    let request = c.req.raw;
    const contentType = request.headers.get('content-type');
    if (gate) {
      const judged = gate(request, c.get('authorization') ?? null, contentType);
      const result = judged instanceof Promise ? await judged : judged;
      const verification = verificationResult(result);
      if (verification) metrics.verification(verification);
      if (!result.ok) {
        c.set('outcome', result.outcome);
        return result.response;
      }
      ({ authInfo, caller } = result);
      c.set('caller', caller);
    }

    // The body is read here, after the gate (an anonymous client gets its 401 before anything is read).
    let parsedBody: unknown;
    if (request.method === 'POST' && isJsonContentType(contentType)) {
      const body = await readMcpBody(request, nodeRequest(c), limits.maxBodyBytes);
      if (body.kind === 'too_large') return mcpBodyTooLarge();
      if (body.kind === 'unreadable') return unreadableBody();
      if (body.kind === 'json') parsedBody = body.parsed;
      // Not JSON: the MCP handler reads it from a request of its own and answers with its usual parse error.
      else request = new Request(request.url, { method: 'POST', headers: request.headers, body: body.text });
    }

    if (options.toolCalls && caller) {
      const retryAfter = await options.toolCalls.check(parsedBody, caller);
      if (retryAfter !== undefined) throw new TooManyRequestsError('Too many tool calls; try again later', retryAfter);
    }
    const handle = () => options.mcp.fetch(request, { ...(authInfo && { authInfo }), ...(parsedBody !== undefined && { parsedBody }) });
    const response = await (caller && options.callerContext ? runAsCaller(caller, handle) : handle());
    if (response.status === 403 && response.headers.get('www-authenticate')?.includes('insufficient_scope')) {
      c.set('outcome', 'insufficient_scope');
    }
    // The SDK marks its event streams `Connection: keep-alive`, which would keep open a connection the client
    // asked to close (and a client that reuses it then gets a 400). Left unsaid, Node honours the request.
    if (/\bclose\b/i.test(c.req.header('connection') ?? '')) response.headers.delete('connection');
    return response;
  }

  app.notFound(() => new NotFoundError().toResponse());
  // The one place the API and OAuth endpoints render errors: whatever was thrown, as `{ error, error_description }`.
  app.onError((error, c) => {
    // Anything that needed the store while it was unreachable (a rate limiter, a lookup) is a 503, never a 500.
    if (error instanceof StoreUnavailableError) c.set('outcome', 'store_unavailable');
    if (!(error instanceof HttpError)) logger.error({ err: error }, 'unhandled error');
    const response = (error instanceof HttpError ? error : new ServerError()).toResponse();
    const origin = c.get('corsOrigin');
    return origin === undefined ? response : withCors(response, origin);
  });
  return app;
}

/** The Node request behind a Hono context, when served by @hono/node-server (an embedder's `app.fetch` has none). */
function nodeRequest(c: Context): IncomingMessage | undefined {
  return (c.env as Partial<HttpBindings> | undefined)?.incoming;
}

/** The body could not be read (the client went away mid-body): the transport's own parse error. */
function unreadableBody(): Response {
  return Response.json({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error: the request body could not be read' }, id: null }, { status: 400 });
}

/** What the gate found out about the token, if it got as far as verifying one. */
function verificationResult(result: GateResult): VerificationResult | undefined {
  if (result.ok || result.outcome === 'insufficient_scope') return 'valid'; // verified; short of endpoint scopes only
  if (result.outcome === 'invalid_token') return 'invalid';
  if (result.outcome === 'verifier_unavailable') return 'unavailable';
  return undefined; // no token, or not one worth verifying
}

function corsPreflightHeaders(): Record<string, string> {
  return { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, OPTIONS', 'Access-Control-Max-Age': '86400' };
}
