import type { ServerResponse } from 'node:http';
import type { McpHttpHandler } from '@modelcontextprotocol/server';
import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import type { AuthSetup } from '../auth-mode.js';
import { runAsCaller, type Caller } from '../mcp/caller.js';
import { bearerGate, type GateOutcome } from '../resource/gate.js';
import { protectedResourceMetadata } from '../resource/metadata.js';
import type { ScopeHierarchy } from '../resource/scopes.js';
import { PRM_WELL_KNOWN, type ServerUrls } from '../urls.js';
import { clientAddress } from './client-address.js';
import { corsPreflight, withCors } from './cors.js';
import { forbiddenResponse, requestGuards, type RequestGuardOptions } from './guards.js';

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
}

type Env = { Variables: { caller?: Caller; outcome?: GateOutcome | 'forbidden_host' | 'forbidden_origin' } };

/** Compose the HTTP surface: guards, logging, discovery documents, the mode's own routes, and the protected MCP endpoint. */
export function createApp(options: AppOptions): Hono<Env> {
  const { urls, auth, logger } = options;
  const app = new Hono<Env>();
  const guards = requestGuards(options);

  app.use(async (c, next) => {
    const started = performance.now();
    const hostProblem = guards.checkHost(c.req.raw.headers);
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
    logger.info(
      {
        method: c.req.method,
        path: c.req.path, // never the query string: it may carry a token someone tried to send there
        status: answeredDirectly ? outgoing!.statusCode : c.res.status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        ip: clientAddress(c, options.trustProxy),
        ...(caller && { subject: caller.subject, clientId: caller.clientId }),
        outcome: c.get('outcome') ?? (c.res.status < 400 ? 'ok' : 'error'),
      },
      'request',
    );
  });

  if (auth.verifier) {
    const metadata = protectedResourceMetadata(urls, auth.authorizationServers, options.scopesSupported, { resourceName: options.resourceName });
    const serveMetadata = () =>
      Response.json(metadata, { headers: { 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'public, max-age=300' } });
    const pathInserted = new URL(urls.resourceMetadata).pathname;
    for (const path of new Set([pathInserted, PRM_WELL_KNOWN])) {
      app.get(path, serveMetadata);
      app.options(path, () => new Response(null, { status: 204, headers: corsPreflightHeaders() }));
    }
  }

  auth.mount?.(app as unknown as Hono);

  const gate = auth.verifier
    ? bearerGate({
        urls,
        verifier: auth.verifier,
        challengeScopes: options.scopesSupported,
        requiredScopes: options.requiredScopes,
        scopeHierarchy: options.scopeHierarchy,
        dangerouslyAcceptMissingAudience: auth.dangerouslyAcceptMissingAudience,
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
    const response = await serveMcp(c);
    return origin === undefined ? response : withCors(response, origin);
  });

  async function serveMcp(c: Context<Env>): Promise<Response> {
    if (!gate) return options.mcp.fetch(c.req.raw);
    const result = await gate(c.req.raw);
    if (!result.ok) {
      c.set('outcome', result.outcome);
      return result.response;
    }
    c.set('caller', result.caller);
    const response = await runAsCaller(result.caller, () => options.mcp.fetch(c.req.raw, { authInfo: result.authInfo }));
    if (response.status === 403 && response.headers.get('www-authenticate')?.includes('insufficient_scope')) {
      c.set('outcome', 'insufficient_scope');
    }
    return response;
  }

  app.notFound(() => Response.json({ error: 'not_found' }, { status: 404 }));
  app.onError((error) => {
    logger.error({ err: error }, 'unhandled error');
    return Response.json({ error: 'server_error' }, { status: 500 });
  });
  return app;
}

function corsPreflightHeaders(): Record<string, string> {
  return { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, OPTIONS', 'Access-Control-Max-Age': '86400' };
}
