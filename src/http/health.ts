import type { AuthSetup } from '../resource/auth-mode.js';

const NO_STORE = { 'Cache-Control': 'no-store' };
/** A readiness check that has not answered by then counts as failed: a probe must not hang on a stuck store. */
const CHECK_TIMEOUT_MS = 2_000;

/** `GET /healthz`: the process is up and serving HTTP. Nothing is checked, so nothing can leak. */
export function healthResponse(): Response {
  return Response.json({ status: 'ok' }, { headers: NO_STORE });
}

/**
 * `GET /readyz`: whether this replica should get traffic. The auth mode names its checks (the embedded
 * authorization server: `store` answers and `keys` are loaded); a server shutting down is never ready.
 * The answer names each check and whether it passed, never why it failed (no messages, no stacks).
 */
export async function readinessResponse(auth: AuthSetup, stopping: boolean): Promise<Response> {
  let checks: Record<string, boolean>;
  try {
    checks = { ...(await withTimeout(auth.ready?.() ?? Promise.resolve({}), CHECK_TIMEOUT_MS)) };
  } catch {
    checks = { auth: false };
  }
  if (stopping) checks['shutdown'] = false;
  const ready = Object.values(checks).every(Boolean);
  if (ready) return Response.json({ status: 'ready', checks }, { headers: NO_STORE });
  return Response.json(
    { status: 'unavailable', checks, failing: Object.keys(checks).filter((name) => !checks[name]) },
    { status: 503, headers: { ...NO_STORE, 'Retry-After': '5' } },
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('readiness check timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
