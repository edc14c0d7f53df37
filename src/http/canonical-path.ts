import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler, Next } from 'hono';
import { ENGINE_ROUTES, PROVIDER_PATHS } from '../authserver/web/koa-bridge.js';
import { NotFoundError } from '../util/http-error.js';

/** The first path segments under which the authorization server's engine answers (`token`, `reg`, …), upper-cased. */
const ENGINE_SEGMENTS = new Set(PROVIDER_PATHS.map((path) => path.split('/')[1]!.toUpperCase()));

/**
 * One spelling per route, decided before routing. oidc-provider's router answers `/token/introspection/` and
 * `/TOKEN/Introspection` as `/token/introspection`, and reads the path as sent, while Hono — and so every check
 * Gatehouse puts in front of the engine (introspection authorization, rate limits, body limits, audit) —
 * matches the decoded path exactly. Any other spelling of a path under the engine's prefixes is refused with
 * 404 here, so the engine and every wrapper, today's and tomorrow's, see one and the same path.
 */
export function canonicalPaths(basePath: string): MiddlewareHandler {
  return async (c: Context, next: Next) => {
    const routed = c.req.path;
    const sent = pathAsSent(c);
    for (const path of new Set([routed, sent])) {
      if (!path.startsWith(`${basePath}/`)) continue;
      const rest = path.slice(basePath.length);
      if (!ENGINE_SEGMENTS.has(rest.split('/').find(Boolean)?.split(';')[0]?.toUpperCase() ?? '')) continue;
      if (sent !== routed || !isCanonical(rest)) throw new NotFoundError();
    }
    return next();
  };
}

/** The path of the request line, undecoded and unnormalised: what oidc-provider reads. */
function pathAsSent(c: Context): string {
  const raw = (c.env as Partial<HttpBindings> | undefined)?.incoming?.url ?? new URL(c.req.url).pathname;
  const end = raw.search(/[?#]/);
  return end < 0 ? raw : raw.slice(0, end);
}

/**
 * No empty segment or trailing slash, no `;` parameters, no dot segments or escapes (the request line already
 * equals the decoded path), and, where the engine's case-insensitive match would find a route, its exact spelling.
 */
function isCanonical(path: string): boolean {
  if (path.endsWith('/') || path.includes('//') || path.includes(';')) return false;
  const segments = path.split('/');
  for (const route of ENGINE_ROUTES) {
    const template = route.split('/');
    if (template.length !== segments.length) continue;
    const foldsAlike = template.every((part, i) => part.startsWith(':') || part.toUpperCase() === segments[i]!.toUpperCase());
    if (foldsAlike) return template.every((part, i) => part.startsWith(':') || part === segments[i]);
  }
  return true; // a path the engine does not answer: it gets the engine's own 404
}
