import { ConfigError, loadConfig, type ConfigSources } from '../config/load.js';
import { missingAdmission } from '../config/schema.js';
import { serverFromConfig } from '../config/build.js';
import { createLogger } from '../util/logger.js';
import { banner } from './banner.js';
import { prepareDataDir, serveUsesDataDir } from './data-dir.js';
import { listenProblem } from './listen-errors.js';
import { upstreamProblem } from './upstream-errors.js';

/** `gatehouse serve`: validate the configuration, start the server, print where it is, stop cleanly on a signal. */
export async function runServe(sources: ConfigSources): Promise<void> {
  const config = loadConfig(sources);
  const missing = missingAdmission(config);
  if (missing) throw new ConfigError([missing]);
  // Checked (and, the first time, made) before anything opens it; only serving creates a data directory.
  const dataDir = serveUsesDataDir(config) ? prepareDataDir(config.dataDir, { create: true }) : undefined;
  // Over stdio, stdout carries the protocol: everything else goes to stderr.
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, destination: config.stdio ? 'stderr' : 'stdout' });
  const server = await serverFromConfig(config, logger);

  if (config.stdio) {
    server.serveStdio();
    process.stderr.write('gatehouse: serving MCP over stdio (no OAuth on stdio)\n');
    return;
  }

  const running = await server.listen(config.port, config.host).catch(async (error: unknown) => {
    throw upstreamProblem(error, config) ?? (await listenProblem(error, config)) ?? error;
  });
  process.stderr.write(banner(config, running, dataDir));

  // The first signal drains and stops; a second one while draining ends the process at once (the default action).
  const onSignal = (signal: NodeJS.Signals) => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    void stop(signal);
  };
  const stop = async (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    let code = 0;
    try {
      await running.close();
      logger.info('stopped');
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      code = 1;
    }
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    process.exit(code);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
