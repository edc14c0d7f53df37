import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { TrustedProxies } from '../../util/trusted-proxies.js';
import { pageHeaders, type Html } from './html.js';

/** Paths oidc-provider answers (relative to the issuer), RFC 8414's well-known name included. */
export const PROVIDER_PATHS = [
  '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server',
  '/auth',
  '/auth/*',
  '/token',
  '/token/*',
  '/jwks',
  '/reg',
  '/reg/*',
  '/me',
] as const;

/**
 * Every route oidc-provider answers under PROVIDER_PATHS with our configuration, spelled as its router spells
 * them (`:name` stands for one path segment). Its router matches these case-insensitively and with one
 * trailing slash too (lib/helpers/router.js); the HTTP layer refuses those other spellings (canonical-path.ts).
 */
export const ENGINE_ROUTES = [
  '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server',
  '/auth',
  '/auth/:uid',
  '/token',
  '/token/introspection',
  '/token/revocation',
  '/jwks',
  '/reg',
  '/reg/:clientId',
  '/me',
] as const;

export function nodeBindings(c: Context): HttpBindings {
  const env = c.env as Partial<HttpBindings> | undefined;
  if (!env?.incoming || !env.outgoing) throw new Error('the authorization server needs to be served by @hono/node-server');
  return env as HttpBindings;
}

/**
 * The node request as oidc-provider must see it: forwarded headers replaced by the configured public URL
 * (so neither a client nor an untrusted proxy can change the issuer or any URL it builds), X-Forwarded-For
 * replaced by the one client address the trusted-proxy rule gives (oidc-provider would take its left-most
 * entry, which the client writes), and RFC 8414's path answered by the discovery route.
 */
export function canonicalizeRequest(req: IncomingMessage, publicUrl: URL, basePath: string, trustProxy: TrustedProxies, defaultScope = ''): void {
  const client = trustProxy.clientAddress(req.socket.remoteAddress, (name) => headerValue(req.headers[name]));
  req.headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1);
  req.headers['x-forwarded-host'] = publicUrl.host;
  req.headers['x-forwarded-for'] = client ?? '';
  let url = req.url ?? '/';
  if (basePath && url.startsWith(basePath)) url = url.slice(basePath.length) || '/';
  if (url === '/.well-known/oauth-authorization-server' || url.startsWith('/.well-known/oauth-authorization-server?')) {
    url = url.replace('/.well-known/oauth-authorization-server', '/.well-known/openid-configuration');
  }
  url = withDefaultScope(url, defaultScope);
  // oidc-provider derives its mount path from originalUrl minus url, as it would under Express.
  (req as IncomingMessage & { originalUrl?: string }).originalUrl = `${basePath}${url}`;
  req.url = url;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * An authorization request that names no scope gets the resource's scopes (RFC 6749 §3.3 allows a
 * predefined default), rather than a consent page with nothing on it and a refusal after Allow.
 */
function withDefaultScope(url: string, defaultScope: string): string {
  if (!defaultScope || !(url === '/auth' || url.startsWith('/auth?'))) return url;
  const parsed = new URL(url, 'http://x');
  // Any scope given, or several (oidc-provider refuses repeated parameters): leave the request as it is.
  const given = parsed.searchParams.getAll('scope');
  if (given.length > 1 || given[0]?.trim()) return url;
  parsed.searchParams.set('scope', defaultScope);
  return `${parsed.pathname}${parsed.search}`;
}

/** Hand the request to oidc-provider and wait until it has answered. */
export function providerHandler(provider: Provider, publicUrl: URL, basePath: string, trustProxy: TrustedProxies, defaultScope: string) {
  const callback = provider.callback();
  return async (c: Context): Promise<Response> => {
    const { incoming, outgoing } = nodeBindings(c);
    canonicalizeRequest(incoming, publicUrl, basePath, trustProxy, defaultScope);
    await new Promise<void>((resolve) => {
      outgoing.once('close', resolve);
      outgoing.once('finish', resolve);
      void callback(incoming, outgoing as ServerResponse);
    });
    return RESPONSE_ALREADY_SENT;
  };
}

/** Answer from inside oidc-provider (its error page) with one of our pages and our headers. */
export function pageResponseInto(ctx: KoaContextWithOIDC, content: Html, status: number): void {
  ctx.status = status;
  for (const [name, value] of Object.entries(pageHeaders())) ctx.set(name, value);
  ctx.body = content.value;
}
