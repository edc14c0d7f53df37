import { createServer } from 'node:net';
import { ConfigError, describeSetting } from '../config/load.js';
import type { GatehouseConfig } from '../config/schema.js';

/** A port free on this host now, to suggest instead of one in use (undefined when none can be had). */
async function freePort(host: string): Promise<number | undefined> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(undefined));
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : undefined));
    });
  });
}

/**
 * Why the server could not bind, as an operator's mistake naming the setting and the fix (`EADDRINUSE` alone says
 * neither), or undefined for a failure that is not about the configured address.
 */
export async function listenProblem(error: unknown, config: GatehouseConfig): Promise<ConfigError | undefined> {
  const { code, port } = error as NodeJS.ErrnoException & { port?: number };
  const key = port !== undefined && port === config.metricsPort && port !== config.port ? 'metricsPort' : 'port';
  const host = key === 'metricsPort' ? config.metricsHost : config.host;
  const setting = describeSetting(key);
  const flag = key === 'metricsPort' ? '--metrics-port' : '--port';
  switch (code) {
    case 'EADDRINUSE': {
      const free = await freePort(host);
      const suggestion = free === undefined ? `${flag} 0 for any free port` : `e.g. ${flag} ${free} (free now), or ${flag} 0 for any free port`;
      return new ConfigError([`${setting}: ${port} on ${host} is already in use by another program: stop it, or choose another port, ${suggestion}`]);
    }
    case 'EACCES':
      return new ConfigError([
        `${setting}: this user may not listen on port ${port} of ${host} (ports below 1024 need privileges): choose ${flag} 1024 or above, e.g. ${flag} 8000, and put a reverse proxy in front for port ${port}`,
      ]);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN': {
      const hostKey = key === 'metricsPort' ? 'metricsHost' : 'host';
      return new ConfigError([
        `${describeSetting(hostKey)}: ${host} is not an address of this machine: bind 127.0.0.1 (this machine only), 0.0.0.0 (every IPv4 interface) or :: (every interface)`,
      ]);
    }
    default:
      return undefined;
  }
}
