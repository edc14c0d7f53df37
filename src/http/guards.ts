import { validateHostHeader } from '@modelcontextprotocol/server';
import type { MiddlewareHandler } from 'hono';
import { isLoopbackHost, type ServerUrls } from '../resource/urls.js';
import type { TrustedProxies } from '../util/trusted-proxies.js';
import { peerAddress } from '../util/client-address.js';
import { JSON_RPC_ERRORS, JsonRpcHttpError } from '../util/http-error.js';
import { type Env, nodeRequest } from './app-env.js';

const LOOPBACK_HOSTNAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * The MCP Inspector's page at its default port (6274, its CLIENT_PORT) under each loopback name: v2 opens
 * `http://127.0.0.1:6274`, v1 `http://localhost:6274`. A server on this machine lets it in without configuration, as
 * the quick start promises; a public server only when told (`--allowed-origins http://localhost:6274`).
 */
export const INSPECTOR_ORIGINS: readonly string[] = LOOPBACK_HOSTNAMES.map((name) => `http://${name}:6274`);

export interface RequestGuardOptions {
  urls: ServerUrls;
  /** Further hostnames clients may use to reach this server (without ports). */
  allowedHosts: readonly string[];
  /** Further browser origins allowed to call the MCP endpoint (and to register clients), e.g. a web IDE's. */
  allowedOrigins: readonly string[];
  /** The proxies whose `X-Forwarded-Host` names the public host (only proxies you run). */
  trustProxy: TrustedProxies;
}

/** DNS-rebinding defence: requests must name one of our hosts, and browser requests must come from an allowed origin. */
export function requestGuards(options: RequestGuardOptions) {
  // Loopback names are always fine: a rebinding page can make the browser send its own name, never `localhost`.
  const hosts = [...new Set([new URL(options.urls.origin).hostname, ...LOOPBACK_HOSTNAMES, ...options.allowedHosts])];
  const local = isLoopbackHost(new URL(options.urls.origin).hostname);
  const origins = new Set([options.urls.origin, ...(local ? INSPECTOR_ORIGINS : []), ...options.allowedOrigins.map((o) => new URL(o).origin)]);

  function requestHost(headers: Headers, peer: string | undefined, url?: string): string | null {
    const forwarded = options.trustProxy.trustsPeer(peer) ? headers.get('x-forwarded-host')?.split(',')[0]?.trim() : undefined;
    return forwarded ?? headers.get('host') ?? (url === undefined ? null : new URL(url).host);
  }

  return {
    /**
     * `undefined` when the Host is ours, else the reason it is not. `peer` is the socket's peer address; `url` the
     * request's, whose host stands in when there is no Host header (a fetch handler handed a `Request` built in process).
     */
    checkHost(headers: Headers, peer: string | undefined, url?: string): string | undefined {
      const result = validateHostHeader(requestHost(headers, peer, url), hosts);
      return result.ok ? undefined : result.message;
    },
    /** The host the request names (with its port): a trusted proxy's forwarded host, else `Host`, else the URL's. */
    requestHost,
    /** `undefined` when there is no Origin (non-browser clients) or it is allowed. */
    checkOrigin(headers: Headers): string | undefined {
      const origin = headers.get('origin');
      if (origin === null) return undefined;
      let normalized: string;
      try {
        normalized = new URL(origin).origin;
      } catch {
        return 'Invalid Origin header';
      }
      return origins.has(normalized) && normalized !== 'null' ? undefined : `Origin ${normalized} is not allowed`;
    },
  };
}

/** Middleware: refuse a request whose Host is not ours (DNS rebinding), except on the ops routes probes use. */
export function hostGuard(guards: RequestGuards, isOpsPath: (path: string) => boolean): MiddlewareHandler<Env> {
  return async (c, next) => {
    const problem = isOpsPath(c.req.path) ? undefined : guards.checkHost(c.req.raw.headers, peerAddress(c), nodeRequest(c) ? undefined : c.req.url);
    if (problem) {
      c.set('outcome', 'forbidden_host');
      throw forbidden(problem);
    }
    await next();
  };
}

export type RequestGuards = ReturnType<typeof requestGuards>;

/** The 403 for a rejected Host or Origin: a JSON-RPC error without id, as the MCP transport spec suggests. */
export function forbidden(problem: string): JsonRpcHttpError {
  return new JsonRpcHttpError(403, 'forbidden', JSON_RPC_ERRORS.serverError, `Forbidden: ${problem}`);
}
