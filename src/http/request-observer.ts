import type { ServerResponse } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { ServerUrls } from '../resource/urls.js';
import { clientAddress } from '../util/client-address.js';
import { refusalOf } from '../util/refusal-reasons.js';
import type { TrustedProxies } from '../util/trusted-proxies.js';
import type { Env } from './app-env.js';
import { type GatehouseMetrics, methodLabel, type RouteLabel, routeLabel } from './metrics.js';

export interface RequestObserverOptions {
  urls: ServerUrls;
  logger: Logger;
  metrics: GatehouseMetrics;
  trustProxy: TrustedProxies;
  /** Health, readiness and metrics requests: logged at debug level only. */
  isOpsPath(path: string): boolean;
}

/**
 * The outermost middleware: once a request is answered, mark it `nosniff`, count and time it, and log one line.
 * Runs around everything else so that refused requests and rendered errors are counted too.
 */
export function observeRequests(options: RequestObserverOptions): MiddlewareHandler<Env> {
  const { urls, logger, metrics } = options;
  return async (c, next) => {
    const started = performance.now();
    // On Node, the header goes on the Node response, which every answer is written to, before anything is: setting
    // it on the finished web Response instead would make that Response build a Headers object for it.
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    outgoing?.setHeader('X-Content-Type-Options', 'nosniff');
    await next();
    // Routes handed to oidc-provider answer on the node response directly; leave their response alone.
    const answeredDirectly = outgoing?.headersSent === true;
    if (!outgoing) c.header('X-Content-Type-Options', 'nosniff');
    const caller = c.get('caller');
    const status = answeredDirectly ? outgoing!.statusCode : c.res.status;
    const seconds = (performance.now() - started) / 1000;
    // A path nothing serves (a browser's /favicon.ico, a scanner) is not an error of ours.
    const outcome =
      c.get('outcome') ?? (status === 429 ? 'rate_limited' : status === 413 ? 'too_large' : status === 404 ? 'not_found' : status < 400 ? 'ok' : 'error');
    const route = routeLabel(c.req.path, urls);
    const method = methodLabel(c.req.method);
    metrics.requests.inc({ route, method, status: String(status), outcome });
    metrics.duration.observe({ route, method }, seconds);
    if (status === 429) metrics.rateLimited.inc({ limit: limitName(route, c.req.path, urls.basePath) });
    // Probes come every few seconds: their lines would drown the rest at the default level. A 5xx is something
    // the operator may have to fix: a warning.
    const level = options.isOpsPath(c.req.path) ? 'debug' : status >= 500 ? 'warn' : 'info';
    const reason = c.get('reason') ?? (answeredDirectly ? refusalOf((c.env as { incoming?: object }).incoming) : undefined);
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
        ...(reason !== undefined && { reason }),
      },
      'request',
    );
  };
}

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
