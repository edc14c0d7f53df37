import type { Hono } from 'hono';
import type { AuthSetup } from '../resource/auth-mode.js';
import type { ServerUrls } from '../resource/urls.js';
import type { Env } from './app-env.js';
import { healthResponse, readinessResponse } from './health.js';
import { type GatehouseMetrics, metricsEndpoint } from './metrics.js';

export interface OpsRoutes {
  health: string;
  ready: string;
  metrics: string;
  /** Whether a path is one of the routes served (`/metrics` only with a token). */
  isOpsPath(path: string): boolean;
}

/**
 * Where health, readiness and metrics are served, under the base path. Probes and scrapers reach a replica by
 * its own address, so the Host check would refuse them; these routes reveal nothing a rebinding page could use
 * (and metrics need their token).
 */
export function opsRoutes(urls: ServerUrls, metricsToken: string | undefined): OpsRoutes {
  const paths = { health: `${urls.basePath}/healthz`, ready: `${urls.basePath}/readyz`, metrics: `${urls.basePath}/metrics` };
  return {
    ...paths,
    isOpsPath: (path) => path === paths.health || path === paths.ready || (metricsToken !== undefined && path === paths.metrics),
  };
}

/** `GET /healthz`, `GET /readyz`, and `GET /metrics` when a token guards it. */
export function mountOpsRoutes(
  app: Hono<Env>,
  ops: OpsRoutes,
  options: { auth: AuthSetup; metrics: GatehouseMetrics; metricsToken?: string; stopping?: () => boolean },
): void {
  app.get(ops.health, () => healthResponse());
  app.get(ops.ready, () => readinessResponse(options.auth, options.stopping?.() ?? false));
  const metricsToken = options.metricsToken;
  if (metricsToken !== undefined) app.get(ops.metrics, (c) => metricsEndpoint(options.metrics, c.req.header('authorization'), metricsToken));
}
