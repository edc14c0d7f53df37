import type { Context, MiddlewareHandler } from 'hono';
import { serverIdentities, type ServerUrls } from '../resource/urls.js';
import { peerAddress } from '../util/client-address.js';
import { type Env, nodeRequest } from './app-env.js';
import type { RequestGuards } from './guards.js';

/**
 * Middleware: which of the server's identities the request addressed, by the host it names (see
 * `serverIdentities`): the public URL's, or on a local server the loopback name the client used.
 */
export function requestIdentity(urls: ServerUrls, guards: RequestGuards): MiddlewareHandler<Env> {
  const identities = serverIdentities(urls);
  const scheme = new URL(urls.origin).protocol;
  if (identities.size === 1) return async (_c, next) => next();
  return async (c, next) => {
    const host = guards.requestHost(c.req.raw.headers, peerAddress(c), nodeRequest(c) ? undefined : c.req.url);
    // As a URL writes it: lower case, no default port, so `LOCALHOST:80` is `localhost`.
    const named = host === null ? undefined : URL.parse(`${scheme}//${host}`)?.host;
    const identity = named === undefined ? undefined : identities.get(named);
    if (identity) c.set('identity', identity);
    await next();
  };
}

/** The URLs this request is answered with: those of the name it used, else the public URL's. */
export function identityOf(c: Context<Env>, urls: ServerUrls): ServerUrls {
  return c.get('identity') ?? urls;
}
