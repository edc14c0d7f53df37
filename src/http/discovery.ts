import type { Context, Hono } from 'hono';
import type { DpopProofs } from '../resource/dpop.js';
import { protectedResourceMetadata } from '../resource/metadata.js';
import { PRM_WELL_KNOWN, serverIdentities, type ServerUrls } from '../resource/urls.js';
import type { Env } from './app-env.js';
import { publicPreflight } from './cors.js';
import { identityOf } from './identity.js';

export interface DiscoveryOptions {
  urls: ServerUrls;
  authorizationServers: readonly string[];
  scopesSupported: readonly string[];
  dpop: DpopProofs;
  resourceName?: string;
}

/**
 * Protected resource metadata (RFC 9728) at its path-inserted address and at the root well-known one, readable
 * from any origin (§3: it is public) and cacheable for a few minutes.
 */
export function mountResourceMetadata(app: Hono<Env>, options: DiscoveryOptions): void {
  const { urls } = options;
  // One document per name the server answers to (see serverIdentities), each naming that resource.
  const documents = new Map(
    [...serverIdentities(urls).values()].map((identity) => [
      identity.resource,
      protectedResourceMetadata(identity, options.authorizationServers, options.scopesSupported, options.dpop, { resourceName: options.resourceName }),
    ]),
  );
  const serveMetadata = (c: Context<Env>) =>
    Response.json(documents.get(identityOf(c, urls).resource), { headers: { 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'public, max-age=300' } });
  const pathInserted = new URL(urls.resourceMetadata).pathname;
  for (const path of new Set([pathInserted, PRM_WELL_KNOWN])) {
    app.get(path, serveMetadata);
    // Browser clients send MCP-Protocol-Version with discovery requests, so the preflight must allow it.
    app.options(path, (c) => publicPreflight(c.req.header('access-control-request-headers') ?? null));
  }
}
