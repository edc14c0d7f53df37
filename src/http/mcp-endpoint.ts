import { type AuthInfo, isJsonContentType, type McpHttpHandler } from '@modelcontextprotocol/server';
import type { Context, Handler } from 'hono';
import type { Logger } from 'pino';
import { runAsCaller } from '../mcp/caller.js';
import type { AuthSetup } from '../resource/auth-mode.js';
import { ExchangedTokenCache } from '../resource/downstream.js';
import type { Caller } from '../resource/caller.js';
import type { DpopProofs } from '../resource/dpop.js';
import { bearerGate, type GateResult, insufficientScope } from '../resource/gate.js';
import type { ScopePolicy } from '../mcp/scope-policy.js';
import type { SharedServerLane } from '../mcp/shared-server-lane.js';
import type { ScopeHierarchy } from '../resource/scopes.js';
import { serverIdentities, type ServerUrls } from '../resource/urls.js';
import { TooManyRequestsError } from '../util/http-error.js';
import { type Env, nodeRequest } from './app-env.js';
import { corsPreflight, withCors } from './cors.js';
import { forbidden, type RequestGuards } from './guards.js';
import { identityOf } from './identity.js';
import { mcpBodyTooLarge, type ResolvedLimits, type ToolCallLimit } from './limits.js';
import { readMcpBody, unreadableMcpBody } from './mcp-body.js';
import type { GatehouseMetrics, VerificationResult } from './metrics.js';

export interface McpEndpointOptions {
  urls: ServerUrls;
  auth: AuthSetup;
  mcp: McpHttpHandler;
  lane?: SharedServerLane;
  guards: RequestGuards;
  /** Named in 401 challenges. */
  scopesSupported: readonly string[];
  requiredScopes: readonly string[];
  scopeHierarchy: ScopeHierarchy;
  /** Checks DPoP proofs (needed whenever the mode verifies tokens). */
  dpop?: DpopProofs;
  logger: Logger;
  metrics: GatehouseMetrics;
  limits: ResolvedLimits;
  toolCalls?: ToolCallLimit;
  callerContext?: boolean;
  /** The scopes each tool, prompt and resource needs, checked once the body is read. */
  policy?: ScopePolicy;
}

/**
 * The MCP endpoint: the Origin check and CORS, then the bearer gate, then the body (read only after the gate),
 * the per-user tool-call limit, and the SDK's handler with the verified caller.
 */
export function mcpEndpoint(options: McpEndpointOptions): Handler<Env> {
  const { auth, dpop, metrics, guards } = options;
  // A gate per name the server answers to (see serverIdentities): each admits tokens for its own resource only.
  const downstream = auth.tokenExchanger && new ExchangedTokenCache(auth.tokenExchanger);
  const gateFor = (urls: ServerUrls) =>
    auth.verifier && dpop
      ? bearerGate({
          dpop,
          urls,
          verifier: auth.verifier,
          challengeScopes: options.scopesSupported,
          requiredScopes: options.requiredScopes,
          scopeHierarchy: options.scopeHierarchy,
          dangerouslyAcceptMissingAudience: auth.dangerouslyAcceptMissingAudience,
          onCacheLookup: (result) => metrics.verificationCache(result),
          onVerifierError: (error) => options.logger.error({ err: error }, 'token verifier failed unexpectedly'),
          ...(downstream && { downstream }),
        })
      : undefined;
  const gates = new Map([...serverIdentities(options.urls).values()].map((urls) => [urls.resource, gateFor(urls)]));

  async function serveMcp(c: Context<Env>): Promise<Response> {
    const urls = identityOf(c, options.urls);
    const gate = gates.get(urls.resource);
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
        if (result.unavailable) metrics.verifierUnavailable(result.unavailable);
        c.set('outcome', result.outcome);
        c.set('reason', result.reason);
        return result.response;
      }
      ({ authInfo, caller } = result);
      c.set('caller', caller);
    }

    // MCP 2026-07-28 names the method and its target in headers (SEP-2243): a request short of their scopes is
    // refused before its body is read. The body is checked again below, so headers that lie gain nothing.
    const method = request.headers.get('mcp-method');
    const name = method === null ? null : request.headers.get('mcp-name');
    if (options.policy && caller && dpop && method !== null && name !== null) {
      const shortfall = options.policy.shortfall(namedRequest(method, name), caller.scopes);
      if (shortfall) {
        c.set('outcome', 'insufficient_scope');
        c.set('reason', shortfall.description);
        return insufficientScope(urls, dpop, c.get('authorization'), shortfall);
      }
    }

    // The body is read here, after the gate (an anonymous client gets its 401 before anything is read).
    let parsedBody: unknown;
    if (request.method === 'POST' && isJsonContentType(contentType)) {
      const body = await readMcpBody(request, nodeRequest(c), options.limits.maxBodyBytes);
      if (body.kind === 'too_large') throw mcpBodyTooLarge();
      if (body.kind === 'unreadable') throw unreadableMcpBody();
      if (body.kind === 'json') parsedBody = body.parsed;
      // Not JSON: the MCP handler reads it from a request of its own and answers with its usual parse error.
      else request = new Request(request.url, { method: 'POST', headers: request.headers, body: body.text });
    }

    if (options.policy && caller && dpop && parsedBody !== undefined) {
      const shortfall = options.policy.shortfall(parsedBody, caller.scopes);
      if (shortfall) {
        c.set('outcome', 'insufficient_scope');
        c.set('reason', shortfall.description);
        return insufficientScope(urls, dpop, c.get('authorization'), shortfall);
      }
    }
    if (options.toolCalls && caller) {
      const retryAfter = await options.toolCalls.check(parsedBody, caller);
      if (retryAfter !== undefined) throw new TooManyRequestsError('Too many tool calls; try again later', retryAfter);
    }
    const { lane } = options;
    const handle = () =>
      lane?.accepts(request, parsedBody)
        ? lane.serve(request, parsedBody, authInfo)
        : options.mcp.fetch(request, { ...(authInfo && { authInfo }), ...(parsedBody !== undefined && { parsedBody }) });
    const response = await (caller && options.callerContext ? runAsCaller(caller, handle) : handle());
    if (response.status === 403 && response.headers.get('www-authenticate')?.includes('insufficient_scope')) {
      c.set('outcome', 'insufficient_scope');
    }
    // The SDK marks its event streams `Connection: keep-alive`, which would keep open a connection the client
    // asked to close (and a client that reuses it then gets a 400). Left unsaid, Node honours the request.
    if (/\bclose\b/i.test(c.req.header('connection') ?? '')) response.headers.delete('connection');
    return response;
  }

  return async (c) => {
    const originProblem = guards.checkOrigin(c.req.raw.headers);
    if (originProblem) {
      c.set('outcome', 'forbidden_origin');
      throw forbidden(originProblem);
    }
    const origin = c.req.header('origin');
    if (origin !== undefined && c.req.method === 'OPTIONS') return corsPreflight(origin, c.req.header('access-control-request-headers') ?? null);
    if (origin !== undefined) c.set('corsOrigin', origin); // errors thrown below are rendered with CORS too
    const response = await serveMcp(c);
    return origin === undefined ? response : withCors(response, origin);
  };
}

/** The request `Mcp-Method` and `Mcp-Name` describe, shaped as its body would be. */
function namedRequest(method: string, name: string): { method: string; params: Record<string, string> } {
  return { method, params: method === 'resources/read' ? { uri: name } : { name } };
}

/** What the gate found out about the token, if it got as far as verifying one. */
function verificationResult(result: GateResult): VerificationResult | undefined {
  if (result.ok || result.outcome === 'insufficient_scope') return 'valid'; // verified; short of endpoint scopes only
  if (result.outcome === 'invalid_token') return 'invalid';
  if (result.outcome === 'verifier_unavailable') return 'unavailable';
  return undefined; // no token, or not one worth verifying
}
