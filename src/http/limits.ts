import { createHash } from 'node:crypto';
import type { ServerOptions } from 'node:http';
import type { Context, MiddlewareHandler, Next } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { PROVIDER_PATHS } from '../authserver/web/koa-bridge.js';
import type { Caller } from '../resource/caller.js';
import { RateLimiter } from '../store/rate-limit.js';
import type { Store } from '../store/contract/store.js';
import { HttpError, JSON_RPC_ERRORS, JsonRpcHttpError } from '../util/http-error.js';

/** Size and time limits on what clients send, with the defaults `gatehouse serve` uses. */
export interface RequestLimits {
  /** Largest request body at the MCP endpoint. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Largest request body anywhere else (OAuth endpoints, forms). Default 64 KiB. */
  maxFormBodyBytes?: number;
  /** Largest total size of the request line and headers (Node answers 431 beyond it). Default 16 KiB. */
  maxHeaderBytes?: number;
  /** Time a client gets to send the request line and headers. Default 10 s. */
  headersTimeoutMs?: number;
  /** Time a client gets to send the whole request, body included (not the time to answer it). Default 30 s. */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open. Default 5 s. */
  keepAliveTimeoutMs?: number;
  /** MCP tool calls per user (issuer + subject) per minute; 0 turns the limit off. Default 600. */
  toolCallsPerMinute?: number;
}

export const DEFAULT_LIMITS = {
  maxBodyBytes: 1024 * 1024,
  maxFormBodyBytes: 64 * 1024,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  toolCallsPerMinute: 600,
} as const satisfies Required<RequestLimits>;

export type ResolvedLimits = Required<RequestLimits>;

export function resolveLimits(limits: RequestLimits = {}): ResolvedLimits {
  const resolved = { ...DEFAULT_LIMITS, ...definedOnly(limits) };
  for (const [key, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`limits.${key} must be a whole number ≥ 0 (got ${value})`);
  }
  // Zero would mean "no limit" to Node for the timeouts: only the tool-call limit may be switched off.
  for (const key of ['maxBodyBytes', 'maxFormBodyBytes', 'maxHeaderBytes', 'headersTimeoutMs', 'requestTimeoutMs', 'keepAliveTimeoutMs'] as const) {
    if (resolved[key] === 0) throw new Error(`limits.${key} must be greater than 0`);
  }
  if (resolved.headersTimeoutMs > resolved.requestTimeoutMs) throw new Error('limits.headersTimeoutMs must not exceed limits.requestTimeoutMs');
  return resolved;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Options for node:http's server: header size, and timeouts that cut off clients that send slowly.
 * Node checks the header and request timeouts on a timer; it runs often enough for the limits to hold
 * within about a second (the default interval is 30 s, which would let a slow client hang on that long).
 */
export function nodeServerOptions(limits: ResolvedLimits): ServerOptions {
  return {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 2))),
  };
}

/**
 * 413 at the MCP endpoint: a JSON-RPC error without id, like the transport's other HTTP-level refusals. The
 * connection closes after it: the rest of an oversized body is never read.
 */
export function mcpBodyTooLarge(): JsonRpcHttpError {
  return new JsonRpcHttpError(413, 'request_too_large', JSON_RPC_ERRORS.invalidRequest, 'Request body too large', {
    'Cache-Control': 'no-store',
    Connection: 'close',
  });
}

/** 413 elsewhere, in OAuth's error shape (RFC 6749 §5.2). */
export function bodyTooLarge(): HttpError {
  return new HttpError(413, 'invalid_request', 'request body too large', { headers: { Connection: 'close' } });
}

/**
 * Cap request bodies: `maxBodyBytes` at the MCP endpoint, `maxFormBodyBytes` everywhere else. A declared
 * Content-Length over the cap is refused before anything is read. Bodies read here are counted as they arrive;
 * the MCP endpoint counts its own as it reads them (readMcpBody), and oidc-provider reads its endpoints' bodies
 * from the Node stream, so those are not consumed here: a chunked body there meets oidc-provider's 56 KiB cap.
 */
export function bodyLimits(options: { mcpPath: string; basePath: string; limits: ResolvedLimits }): MiddlewareHandler {
  const forms = bodyLimit({
    maxSize: options.limits.maxFormBodyBytes,
    onError: () => {
      throw bodyTooLarge();
    },
  });
  const streamedByProvider = providerPathMatcher(options.basePath);
  const declaredOver = (c: Context, max: number) => Number(c.req.header('content-length') ?? 0) > max;
  return async (c: Context, next: Next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    if (c.req.path === options.mcpPath) {
      if (declaredOver(c, options.limits.maxBodyBytes)) throw mcpBodyTooLarge();
      return next();
    }
    if (streamedByProvider(c.req.path)) {
      if (declaredOver(c, options.limits.maxFormBodyBytes)) throw bodyTooLarge();
      return next();
    }
    return forms(c, next);
  };
}

/** The paths whose bodies oidc-provider reads itself (every provider path but introspection, which is ours). */
function providerPathMatcher(basePath: string): (path: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const path of PROVIDER_PATHS) {
    if (path.endsWith('/*')) prefixes.push(`${basePath}${path.slice(0, -1)}`);
    else exact.add(`${basePath}${path}`);
  }
  const ours = `${basePath}/token/introspection`;
  return (path) => path !== ours && (exact.has(path) || prefixes.some((prefix) => path.startsWith(prefix)));
}

/**
 * Tool calls per user per minute, counted in the store so replicas sharing it (Redis) enforce one limit.
 * Only `tools/call` messages count; the key is a hash of the token's issuer and subject.
 */
export class ToolCallLimit {
  readonly #limiter: RateLimiter;

  constructor(store: Store, perMinute: number) {
    this.#limiter = new RateLimiter(store, 'tool-calls', perMinute, 60);
  }

  /** `undefined` when the request may go on, else the seconds until the caller may call again. `body` is the parsed JSON-RPC body. */
  async check(body: unknown, caller: Caller): Promise<number | undefined> {
    const calls = toolCallsIn(body);
    if (calls === 0) return undefined;
    const key = createHash('sha256')
      .update(`${caller.issuer ?? ''}\n${caller.subject}`)
      .digest('base64url');
    for (let i = 0; i < calls; i++) {
      const retryAfter = await this.#limiter.hit(key);
      if (retryAfter !== undefined) return retryAfter;
    }
    return undefined;
  }
}

/** How many `tools/call` requests a parsed JSON-RPC body carries (a batch may carry several). */
function toolCallsIn(body: unknown): number {
  const messages = Array.isArray(body) ? body : [body];
  return messages.filter((m) => typeof m === 'object' && m !== null && (m as { method?: unknown }).method === 'tools/call').length;
}
