import { loadConfig, type ConfigSources } from '../config/load.js';
import { serverFromConfig } from '../config/build.js';
import { createLogger } from '../http/logging.js';

/** `gatehouse serve`: validate the configuration, start the server, print where it is, stop cleanly on a signal. */
export async function runServe(sources: ConfigSources): Promise<void> {
  const config = loadConfig(sources);
  // Over stdio, stdout carries the protocol: everything else goes to stderr.
  const logger = createLogger({ level: config.logLevel, destination: config.stdio ? 'stderr' : 'stdout' });
  const server = await serverFromConfig(config, logger);

  if (config.stdio) {
    server.serveStdio();
    process.stderr.write('gatehouse: serving MCP over stdio (no OAuth on stdio)\n');
    return;
  }

  const running = await server.listen(config.port, config.host);
  process.stderr.write(
    [
      `gatehouse: ${config.name} is running in ${server.authKind} mode${config.devKeys ? ' with development keys' : ''}`,
      `  MCP endpoint:       ${running.urls.resource}`,
      `  Resource metadata:  ${running.urls.resourceMetadata}`,
      `  Listening on:       http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${running.port}`,
      ...running.notices,
      ...(config.devKeys ? ['  Get a token:        npx gatehouse token --dev-keys --scope read:whoami'] : []),
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await running.close();
    logger.flush();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
