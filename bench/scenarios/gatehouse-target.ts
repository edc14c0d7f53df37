import type { McpServerFactory } from '@modelcontextprotocol/server';
import {
  createLogger,
  gatehouse,
  protect,
  resource,
  whoamiTool,
  type AuthMode,
  type GatehouseServer,
  type ProtectOptions,
  type ScopeMap,
  type TokenVerifier,
} from '../../src/index.js';
import { freePort } from '../common.js';

/**
 * How every Gatehouse target is set up. The per-user tool-call limit (600/min by default) is switched off: a load
 * test from one user would otherwise measure 429s. Logs at warn, not info, so the bench measures the request path
 * rather than pino writing to a pipe.
 */
const benchOptions = (auth: AuthMode, port: number) =>
  ({
    name: 'bench',
    auth,
    // The load comes to 127.0.0.1, and a local server is a resource of its own under each loopback name.
    publicUrl: `http://127.0.0.1:${port}`,
    logger: createLogger({ level: 'warn', destination: 'stderr' }),
    allowedHosts: ['127.0.0.1'],
    limits: { toolCallsPerMinute: 0 },
  }) satisfies ProtectOptions;

/** A Gatehouse server with the whoami tool, as a user would write it. */
export async function startGatehouse(auth: AuthMode, port = 0) {
  const bound = port || (await freePort());
  return listening(gatehouse(benchOptions(auth, bound)).addTool(whoamiTool), bound);
}

/** A server built with the SDK, wrapped by protect() with the same settings; `scopes` says what its offerings need. */
export async function startProtected(factory: McpServerFactory, auth: AuthMode, scopes: ScopeMap, port = 0) {
  const bound = port || (await freePort());
  return listening(protect(factory, { ...benchOptions(auth, bound), scopes }), bound);
}

async function listening(server: GatehouseServer, port: number) {
  const running = await server.listen(port, '127.0.0.1');
  return { running, url: `http://127.0.0.1:${running.port}`, path: new URL(running.urls.resource).pathname };
}

export function resourceMode(issuer: string, verifier: TokenVerifier): AuthMode {
  return resource({ authorizationServers: issuer, verifier });
}
