import type { Hono } from 'hono';
import type { Logger } from 'pino';
import type { TokenVerifier } from './verifier.js';
import type { TokenExchanger } from './downstream.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Store } from '../store/contract/store.js';
import { isHttpsOrLoopback, type ServerUrls } from './urls.js';
import type { TrustedProxies } from '../util/trusted-proxies.js';

/** A scope a tool declares, with what a person is told on the consent page. */
export interface ScopeInfo {
  name: string;
  description: string;
  /** What it gives where people sign in through an upstream provider (GitHub, Google…), when that is more. */
  upstreamDescription?: string;
}

/**
 * What a scope lets an app do, in words a person approves: one wording, or one for a server whose people have
 * accounts of its own and one for a server where they sign in through an upstream provider.
 */
export type ScopeDescription = string | { local: string; upstream: string };

export function scopeInfo(name: string, description: ScopeDescription | undefined): ScopeInfo {
  if (description === undefined) return { name, description: name };
  if (typeof description === 'string') return { name, description };
  return { name, description: description.local, upstreamDescription: description.upstream };
}

/**
 * What parts of the server below the HTTP layer report (a token issued by the authorization server, a
 * verification answered from cache). Each server hands its own to the parts it builds, so several servers in
 * one process never count each other's events.
 */
export interface RequestObserver {
  tokenIssued(grantType: unknown): void;
  verificationCache(result: 'hit' | 'miss'): void;
}

/** What a mode learns about the server it is plugged into. */
export interface AuthContext {
  urls: ServerUrls;
  logger: Logger;
  /** Every scope the server's tools and endpoint use. */
  scopes: readonly ScopeInfo[];
  /** Which peers' forwarded headers may be believed, and how the client's address is read from them. */
  trustProxy: TrustedProxies;
  /** Where the mode reports tokens it issues (the server's metrics). */
  observer: RequestObserver;
}

/** What a mode contributes: how tokens are verified, which authorization servers to advertise, and any routes of its own. */
export interface AuthSetup {
  /** Verifies bearer tokens at the MCP endpoint; absent only for the unauthenticated development mode. */
  verifier?: TokenVerifier;
  /** Issuers advertised in the protected resource metadata. */
  authorizationServers: string[];
  /** Where people see and disconnect their apps (a mode with accounts of its own), for the landing page. */
  accountPage?: string;
  /** Accept tokens that carry no `aud` at all (never ones naming someone else). */
  dangerouslyAcceptMissingAudience?: boolean;
  /** How `caller.tokenFor()` gets tokens for downstream APIs (RFC 8693); absent, it rejects. */
  tokenExchanger?: TokenExchanger;
  /** Extra routes (an embedded authorization server mounts its endpoints here). */
  mount?(app: Hono): void;
  /**
   * Paths of the mode's own routes that browser-based clients call from their page and that answer no CORS of
   * their own (dynamic registration): the HTTP layer answers their preflights for the allowed browser origins,
   * lets those origins read the answers, and refuses other origins as it does at the MCP endpoint.
   */
  browserEndpoints?: readonly string[];
  /** Lines for the startup banner (e.g. a first-user setup link). */
  notices?: string[];
  /**
   * Readiness checks for `GET /readyz`, by name (e.g. `{ store: true, keys: true }`): the server is ready when
   * every one is true. Absent: always ready. Never throw with details; answer false.
   */
  ready?(): Promise<Record<string, boolean>>;
  /** The mode's store, when it has one: per-user limits are counted there, so replicas sharing it share them. */
  store?: Store;
  close?(): Promise<void>;
  /** Where the mode keeps its audit trail (embedded and federated modes). */
  audit?: AuditLog;
}

/**
 * The one wiring point for authentication: `resource(...)` today; the embedded and federated
 * authorization servers plug in through the same interface.
 */
export interface AuthMode {
  readonly kind: 'resource' | 'embedded' | 'federated' | 'none';
  setup(context: AuthContext): Promise<AuthSetup> | AuthSetup;
}

export interface ResourceModeOptions {
  /** The issuer (or issuers) of the tokens this server accepts, advertised to clients as its authorization servers. */
  authorizationServers: string | string[];
  verifier: TokenVerifier;
  /** Accept tokens without any `aud` claim (some introspection endpoints omit it). Off by default. */
  dangerouslyAcceptMissingAudience?: boolean;
  /**
   * Where per-user limits are counted and used DPoP proofs remembered. Give replicas one shared store (Redis) so a
   * proof accepted by one is refused by every other. Default: memory, in this process only.
   */
  store?: Store;
  /**
   * How `caller.tokenFor()` gets tokens for downstream APIs: an RFC 8693 exchange at the authorization server
   * (`tokenExchange()`), or Microsoft Entra's on-behalf-of flow (`entraOnBehalfOf()`).
   */
  tokenExchange?: TokenExchanger;
}

/** Resource mode: tokens come from an external authorization server; Gatehouse only verifies them. */
export function resource(options: ResourceModeOptions): AuthMode {
  const servers = Array.isArray(options.authorizationServers) ? options.authorizationServers : [options.authorizationServers];
  if (servers.length === 0) throw new Error('resource(): name at least one authorization server');
  for (const issuer of servers) checkIssuerUrl(issuer);
  return {
    kind: 'resource',
    setup: ({ logger }) => {
      if (options.dangerouslyAcceptMissingAudience) {
        logger.warn('dangerouslyAcceptMissingAudience is on: tokens that name no audience are accepted');
      }
      return {
        verifier: options.verifier,
        authorizationServers: servers,
        dangerouslyAcceptMissingAudience: options.dangerouslyAcceptMissingAudience,
        ...(options.store && { store: options.store }),
        ...(options.tokenExchange && { tokenExchanger: options.tokenExchange }),
        close: async () => options.verifier.close?.(),
      };
    },
  };
}

/** No authentication at all: for benchmarks baselines and protocol conformance runs on loopback. Never in production. */
export function dangerouslyNoAuth(): AuthMode {
  return {
    kind: 'none',
    setup: ({ logger }) => {
      logger.warn('DANGER: authentication is switched off; anyone who can reach this server can call every tool');
      return { authorizationServers: [] };
    },
  };
}

function checkIssuerUrl(issuer: string): void {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new Error(`authorization server "${issuer}" is not a URL`);
  }
  if (!isHttpsOrLoopback(url)) {
    throw new Error(`authorization server "${issuer}" must use https (http is allowed only on loopback)`);
  }
  if (url.search || url.hash) throw new Error(`authorization server "${issuer}" must not have a query or fragment`);
}
