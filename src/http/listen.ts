import { createServer, type ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { McpHttpHandler } from '@modelcontextprotocol/server';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AuthSetup } from '../resource/auth-mode.js';
import type { ServerUrls } from '../resource/urls.js';
import { nodeServerOptions, type ResolvedLimits } from './limits.js';
import { type GatehouseMetrics, listenForMetrics, type MetricsListener } from './metrics.js';

/** Where and how `Gatehouse.listen()` serves when not told otherwise: loopback only, so nothing is exposed by accident. */
export const LISTEN_DEFAULTS = {
  port: 8000,
  host: '127.0.0.1',
  /** How long requests in progress may take to finish on close. */
  shutdownTimeoutMs: 10_000,
} as const;

export interface MetricsOptions {
  /** Serve `GET /metrics` on this port (0 picks one), apart from the MCP traffic. */
  port?: number;
  /** Address the metrics port binds to. Default `127.0.0.1`. */
  host?: string;
  /**
   * Require `Authorization: Bearer <token>` (at least 32 characters). Without `port`, this serves `/metrics` on
   * the main port (under the public URL's base path); with `port`, the metrics port asks for it too.
   */
  token?: string;
  /** Include prom-client's process metrics (CPU, memory, event loop, GC). Default true. */
  defaultMetrics?: boolean;
}

export interface RunningServer {
  urls: ServerUrls;
  port: number;
  /** Lines the auth mode wants shown at start (e.g. a first-user setup link), and where metrics are served. */
  notices: string[];
  /** This server's Prometheus registry (its own, not prom-client's global one). */
  metrics: Registry;
  /** Where metrics are served, when they are. */
  metricsUrl?: string;
  /**
   * Stop: refuse new connections, close idle ones, let requests in progress finish (up to `shutdownTimeoutMs`,
   * then cut them off), then close the MCP handler and the auth mode's store. Calling it again waits for the same close.
   */
  close(): Promise<void>;
}

/** The HTTP application for one public URL, with what must be closed after it. */
export interface BuiltApp {
  app: Hono;
  urls: ServerUrls;
  mcp: McpHttpHandler;
  auth: AuthSetup;
  metrics: GatehouseMetrics;
}

export interface ListenOptions {
  port: number;
  hostname: string;
  /** Default `http://localhost:<the port bound>`. */
  publicUrl?: string;
  limits: ResolvedLimits;
  metrics?: MetricsOptions;
  /** How long `close()` lets requests in progress finish before cutting their connections. */
  shutdownTimeoutMs: number;
  logger: Logger;
  /** Builds the app once the port (and so the default public URL) is known. */
  build(publicUrl: string, hooks: { stopping: () => boolean }): Promise<BuiltApp>;
}

/** Serve an app on a Node HTTP server: bind, build, serve metrics where asked, and drain on close. */
export async function listen(options: ListenOptions): Promise<RunningServer> {
  const { port, logger } = options;
  // Bind first: with port 0 the default public URL (and so every URL we publish) depends on the port we get.
  let handle: (request: Request, env: unknown) => Response | Promise<Response> = () => new Response(null, { status: 503 });
  const requestListener = getRequestListener((request, env) => handle(request, env));
  const inFlight = new Set<ServerResponse>();
  let stopping = false;
  const server = createServer(nodeServerOptions(options.limits), (request, response) => {
    inFlight.add(response);
    response.once('close', () => inFlight.delete(response));
    if (stopping) response.setHeader('Connection', 'close');
    void requestListener(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  let built: BuiltApp;
  try {
    built = await options.build(options.publicUrl ?? `http://localhost:${actualPort}`, { stopping: () => stopping });
  } catch (error) {
    server.close();
    throw error;
  }
  const metricsOptions = options.metrics;
  let metricsListener: MetricsListener | undefined;
  if (metricsOptions?.port !== undefined) {
    try {
      metricsListener = await listenForMetrics(built.metrics, {
        port: metricsOptions.port,
        host: metricsOptions.host ?? LISTEN_DEFAULTS.host,
        token: metricsOptions.token,
      });
    } catch (error) {
      server.close();
      await built.auth.close?.();
      throw error;
    }
  }
  handle = (request, env) => built.app.fetch(request, env);

  const metricsUrl = metricsListener?.url ?? (metricsOptions?.token !== undefined ? `${built.urls.issuer}/metrics` : undefined);
  const notices = [
    ...(built.auth.notices ?? []),
    `  Health checks:      ${built.urls.issuer}/healthz, ${built.urls.issuer}/readyz`,
    ...(metricsUrl ? [`  Metrics:            ${metricsUrl}${metricsOptions?.token !== undefined ? ' (Authorization: Bearer <metrics token>)' : ''}`] : []),
  ];
  const drainMs = options.shutdownTimeoutMs;
  let closing: Promise<void> | undefined;
  const close = async () => {
    stopping = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Requests in progress finish; their connections close after the answer instead of waiting for another.
    for (const response of inFlight) if (!response.headersSent) response.setHeader('Connection', 'close');
    server.closeIdleConnections();
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    const deadline = setTimeout(() => {
      if (inFlight.size > 0) logger.warn({ requests: inFlight.size }, 'shutdown deadline reached; closing connections with requests in progress');
      server.closeAllConnections();
    }, drainMs);
    try {
      await closed;
    } finally {
      clearInterval(sweep);
      clearTimeout(deadline);
    }
    await built.mcp.close();
    await metricsListener?.close();
    await built.auth.close?.();
  };
  return {
    urls: built.urls,
    port: actualPort,
    notices,
    metrics: built.metrics.registry,
    ...(metricsUrl && { metricsUrl }),
    close: () => (closing ??= close()),
  };
}
