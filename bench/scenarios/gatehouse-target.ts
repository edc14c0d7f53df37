import { createLogger, gatehouse, resource, whoamiTool, type AuthMode, type TokenVerifier } from '../../src/index.js';

/**
 * A Gatehouse server with the whoami tool, as a user would write it. The per-user tool-call limit (600/min by
 * default) is switched off: a load test from one user would otherwise measure 429s. Logs at warn, not info, so
 * the bench measures the request path rather than pino writing to a pipe.
 */
export async function startGatehouse(auth: AuthMode, port = 0) {
  const server = gatehouse({
    name: 'bench',
    auth,
    logger: createLogger({ level: 'warn', destination: 'stderr' }),
    allowedHosts: ['127.0.0.1'],
    limits: { toolCallsPerMinute: 0 },
  });
  server.addTool(whoamiTool);
  const running = await server.listen(port, '127.0.0.1');
  return { running, url: `http://127.0.0.1:${running.port}`, path: new URL(running.urls.resource).pathname };
}

export function resourceMode(issuer: string, verifier: TokenVerifier): AuthMode {
  return resource({ authorizationServers: issuer, verifier });
}
