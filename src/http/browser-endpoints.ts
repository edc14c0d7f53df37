import type { MiddlewareHandler } from 'hono';
import { type Env, nodeResponse } from './app-env.js';
import { corsHeaders, corsPreflight } from './cors.js';
import type { RequestGuards } from './guards.js';
import { ForbiddenError } from '../util/http-error.js';

/**
 * CORS for a mode's endpoints that browser-based clients call from their own page (dynamic registration): the
 * allowed browser origins get their preflight answered and may read the answer, whoever writes it (the engine
 * writes straight to the Node response); any other origin is refused before the endpoint runs, as at `/mcp`.
 */
export function browserEndpoint(guards: RequestGuards): MiddlewareHandler<Env> {
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin === undefined) return next();
    const problem = guards.checkOrigin(c.req.raw.headers);
    if (problem) {
      c.set('outcome', 'forbidden_origin');
      throw new ForbiddenError(problem);
    }
    if (c.req.method === 'OPTIONS') return corsPreflight(origin, c.req.header('access-control-request-headers') ?? null, 'POST, OPTIONS');
    c.set('corsOrigin', origin); // errors rendered by the app (a rate limit, a store outage) carry CORS too
    const outgoing = nodeResponse(c);
    for (const [name, value] of Object.entries(corsHeaders(origin))) outgoing?.setHeader(name, value);
    outgoing?.setHeader('Vary', 'Origin');
    await next();
  };
}
