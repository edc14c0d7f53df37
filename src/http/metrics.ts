import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { RequestObserver } from '../resource/auth-mode.js';
import { PRM_WELL_KNOWN, type ServerUrls } from '../resource/urls.js';
import { UNAVAILABLE_REASONS, type UnavailableReason } from '../resource/verifier.js';
import { HttpError } from '../util/http-error.js';

export type VerificationResult = 'valid' | 'invalid' | 'unavailable';

/** Grant types oidc-provider may report; anything else is counted as `other` so the label stays bounded. */
const GRANT_TYPES = new Set([
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:openid:params:grant-type:ciba',
]);

/**
 * Prometheus metrics of one server, in a registry of its own (never prom-client's global one), so several
 * servers in one process keep separate counts. Every label has a bounded set of values.
 */
export class GatehouseMetrics implements RequestObserver {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'gatehouse_http_requests_total',
    help: 'HTTP requests answered, by route, method, status and outcome',
    labelNames: ['route', 'method', 'status', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by route and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly tokensIssued = new Counter({
    name: 'gatehouse_tokens_issued_total',
    help: 'Token responses sent by the embedded authorization server, by grant type',
    labelNames: ['grant_type'] as const,
    registers: [this.registry],
  });
  // Counted on every MCP request as plain numbers and handed to prom-client when scraped: a labelled inc()
  // validates and hashes its labels, which costs more than judging a cached token.
  readonly #verifications: Record<VerificationResult, number> = { valid: 0, invalid: 0, unavailable: 0 };
  readonly #cacheLookups: Record<'hit' | 'miss', number> = { hit: 0, miss: 0 };
  readonly verifications: Counter<'result'> = new Counter({
    name: 'gatehouse_token_verifications_total',
    help: 'Bearer tokens checked at the MCP endpoint: valid, invalid, or unavailable (the verifier could not answer)',
    labelNames: ['result'] as const,
    registers: [this.registry],
    collect: (): void => moveCounts(this.#verifications, this.verifications),
  });
  readonly cacheLookups: Counter<'result'> = new Counter({
    name: 'gatehouse_verification_cache_total',
    help: "Bearer tokens answered from their verifier's cache (hit) or verified anew (miss), for verifiers that keep one",
    labelNames: ['result'] as const,
    registers: [this.registry],
    collect: (): void => moveCounts(this.#cacheLookups, this.cacheLookups),
  });
  readonly unavailableVerifications = new Counter({
    name: 'gatehouse_verifier_unavailable_total',
    help: 'Bearer tokens that could not be checked (503), by reason: unreachable, timeout, credentials_rejected (the issuer refused this server), error_status, malformed_answer, store_unavailable, other',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'gatehouse_rate_limited_total',
    help: 'Requests refused with 429, by limit',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    // Known series start at zero, so a dashboard shows 0 rather than "no data" before the first event.
    for (const result of ['valid', 'invalid', 'unavailable'] as const) this.verifications.inc({ result }, 0);
    for (const result of ['hit', 'miss'] as const) this.cacheLookups.inc({ result }, 0);
    for (const reason of UNAVAILABLE_REASONS) this.unavailableVerifications.inc({ reason }, 0);
  }

  tokenIssued(grantType: unknown): void {
    this.tokensIssued.inc({ grant_type: typeof grantType === 'string' && GRANT_TYPES.has(grantType) ? grantType : 'other' });
  }

  verificationCache(result: 'hit' | 'miss'): void {
    this.#cacheLookups[result]++;
  }

  verification(result: VerificationResult): void {
    this.#verifications[result]++;
  }

  verifierUnavailable(reason: UnavailableReason): void {
    this.unavailableVerifications.inc({ reason });
  }

  /** The text exposition of every metric, as Prometheus scrapes it. */
  async exposition(): Promise<Response> {
    return new Response(await this.registry.metrics(), {
      headers: { 'Content-Type': this.registry.contentType, 'Cache-Control': 'no-store' },
    });
  }
}

/** Add the counts kept since the last scrape to their counter, by `result` label, and start again from zero. */
function moveCounts<R extends string>(counts: Record<R, number>, counter: Counter<'result'>): void {
  for (const result of Object.keys(counts) as R[]) {
    if (counts[result] === 0) continue;
    counter.inc({ result }, counts[result]);
    counts[result] = 0;
  }
}

/** The bounded route labels: one per family of endpoints, never the raw path. */
export type RouteLabel =
  | '/mcp'
  | '/token'
  | '/auth'
  | '/reg'
  | '/interaction'
  | '/account'
  | '/.well-known'
  | '/oauth/callback'
  | '/healthz'
  | '/readyz'
  | '/metrics'
  | 'other';

const PREFIX_ROUTES: ReadonlyArray<[string, RouteLabel]> = [
  ['/token', '/token'],
  ['/auth', '/auth'],
  ['/reg', '/reg'],
  ['/interaction', '/interaction'],
  ['/account', '/account'],
  ['/.well-known', '/.well-known'],
  ['/oauth/callback', '/oauth/callback'],
  ['/healthz', '/healthz'],
  ['/readyz', '/readyz'],
  ['/metrics', '/metrics'],
];

/** Which family a request path belongs to (paths are matched under the public URL's base path). */
export function routeLabel(path: string, urls: ServerUrls): RouteLabel {
  if (path === urls.mcpPath) return '/mcp';
  if (path === PRM_WELL_KNOWN || path.startsWith(`${PRM_WELL_KNOWN}/`)) return '/.well-known';
  const base = urls.basePath;
  if (base !== '' && !path.startsWith(`${base}/`)) return 'other';
  const rest = path.slice(base.length);
  for (const [prefix, label] of PREFIX_ROUTES) {
    if (rest === prefix || rest.startsWith(`${prefix}/`)) return label;
  }
  return 'other';
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'other';
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Whether `Authorization: Bearer <token>` names the metrics token (compared in constant time). */
export function metricsTokenMatches(authorization: string | null | undefined, token: string): boolean {
  const presented = /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];
  // Hashing first gives equal lengths, so the comparison time says nothing about the token.
  return presented !== undefined && timingSafeEqual(digest(presented), digest(token));
}

/** The metrics endpoint: the exposition for the right token (or when none is required), else 401. */
export async function metricsEndpoint(metrics: GatehouseMetrics, authorization: string | null | undefined, token: string | undefined): Promise<Response> {
  if (token !== undefined && !metricsTokenMatches(authorization, token)) {
    // Rendered here rather than thrown: the metrics listener of its own has no app to render errors.
    return new HttpError(401, 'unauthorized', 'metrics need Authorization: Bearer <GATEHOUSE_METRICS_TOKEN>', {
      challenge: 'Bearer realm="metrics"',
    }).toResponse();
  }
  return metrics.exposition();
}

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/** Serve `GET /metrics` on a port of its own (by default on loopback, for a local Prometheus or agent). */
export async function listenForMetrics(metrics: GatehouseMetrics, options: { port: number; host: string; token?: string }): Promise<MetricsListener> {
  const server: Server = createServer({ headersTimeout: 10_000, requestTimeout: 10_000 }, (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not_found"}');
      return;
    }
    void metricsEndpoint(metrics, request.headers.authorization, options.token).then(
      async (answer) => {
        const headers: Record<string, string> = {};
        answer.headers.forEach((value, name) => {
          headers[name] = value;
        });
        response.writeHead(answer.status, headers);
        response.end(request.method === 'HEAD' ? undefined : Buffer.from(await answer.arrayBuffer()));
      },
      () => response.writeHead(500).end(),
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
