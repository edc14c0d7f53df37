import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Hono, MiddlewareHandler } from 'hono';
import { PatternRouter } from 'hono/router/pattern-router';

/** Answers whether the app has a route (not merely middleware run for every path) for a method and path. */
export type RouteOwnership = (method: string, path: string) => boolean;

/** Read the app's routes once: the MCP endpoint, the well-known documents, the authorization server, the probes. */
export function routeOwnership(app: Hono): RouteOwnership {
  const router = new PatternRouter<true>();
  for (const route of app.routes) if (route.path !== '/*' && route.path !== '*') router.add(route.method, route.path, true);
  return (method, path) => router.match(method, path)[0].length > 0;
}

/** The Node request as Express and Connect hand it on: the path the app was mounted at is cut from `url`. */
type MountedRequest = IncomingMessage & { originalUrl?: string; body?: unknown; rawBody?: Buffer };

/** `next` of Express and Connect; plain `node:http` code passes its own fallback, or nothing (404). */
export type Next = (error?: unknown) => void;

/** A Node `(req, res, next)` handler: Express and Connect middleware, or the body of a `node:http` server. */
export type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next?: Next) => void;

/**
 * Serve Gatehouse's routes from a Node server someone else runs, handing every other request to `next`. The
 * request goes through @hono/node-server, so the authorization server (which needs the Node request) works too.
 * A body that a JSON parser in front (`express.json()`) has already read is handed over as it was parsed.
 */
export function nodeMiddleware(app: () => Promise<Hono>, owns: () => Promise<RouteOwnership>): NodeMiddleware {
  const listener = getRequestListener(async (request, env) => (await app()).fetch(request, env));
  return (req: MountedRequest, res, next) => {
    const url = req.originalUrl ?? req.url ?? '/';
    void owns().then(
      (owned) => {
        if (!owned(req.method ?? 'GET', pathOf(url))) {
          if (next) next();
          else res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found');
          return;
        }
        req.url = url;
        if (req.readableEnded && !(req.rawBody instanceof Buffer)) {
          const raw = reencoded(req.body, req.headers['content-type']);
          if (raw) req.rawBody = raw;
        }
        void listener(req, res);
      },
      (error: unknown) => (next ? next(error) : res.writeHead(500).end()),
    );
  };
}

/** Hono middleware: Gatehouse's routes answered by Gatehouse, everything else by the app it is mounted in. */
export function honoMiddleware(app: () => Promise<Hono>, owns: () => Promise<RouteOwnership>): MiddlewareHandler {
  return async (c, next) => {
    const owned = await owns();
    if (!owned(c.req.method, c.req.path)) return next();
    return (await app()).fetch(c.req.raw, c.env);
  };
}

/**
 * The bytes of a body a parser in front already read (`express.json()`, `express.urlencoded()`), written again
 * in the request's own content type: the web request is built from these. (oidc-provider reads `req.body` itself.)
 */
function reencoded(body: unknown, contentType: string | undefined): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || Buffer.isBuffer(body)) return Buffer.from(body);
  if (/^application\/x-www-form-urlencoded\b/i.test(contentType ?? '')) {
    return Buffer.from(new URLSearchParams(body as Record<string, string>).toString());
  }
  return Buffer.from(JSON.stringify(body));
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
