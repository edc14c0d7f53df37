import type { GatehouseConfig } from '../config/schema.js';
import type { RunningServer } from '../gatehouse.js';
import type { DataDir } from './data-dir.js';

/** What the mode means, in a few words after its name. */
function modeLine(config: GatehouseConfig): string {
  switch (config.mode) {
    case 'embedded':
      return 'embedded mode (its own authorization server and accounts)';
    case 'federated':
      return `federated mode (people sign in with ${config.upstream ?? 'the upstream provider'})`;
    default:
      if (config.devKeys) return 'resource mode with development keys';
      if (config.dangerouslyStaticTokens) return 'resource mode with static development tokens';
      return `resource mode (tokens from ${config.issuer})`;
  }
}

/** A Redis URL as it may be printed: never its password. */
function printableStore(url: string): string {
  const parsed = URL.parse(url);
  if (!parsed) return url.replace(/\/\/[^@/]*@/, '//');
  parsed.username = '';
  parsed.password = '';
  return parsed.href;
}

/** Where the data is: the directory (and whether this start made it), or the shared store that holds it instead. */
function dataLine(config: GatehouseConfig, dataDir: DataDir | undefined): string[] {
  if (dataDir) return [`  Data directory:     ${dataDir.path} (${dataDir.created ? 'created now' : 'existing'})`];
  if (config.mode !== 'resource' && config.store) return [`  Store:              ${printableStore(config.store)} (prefix ${config.storePrefix})`];
  return [];
}

/** The server's name as a Claude Code server name: lower case, no spaces. */
function clientName(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'gatehouse'
  );
}

/**
 * What `gatehouse serve` prints once it listens: the mode, the MCP URL, where the data is, what the auth mode wants
 * said (the setup link or how many accounts there are), and one line to connect a client.
 */
export function banner(config: GatehouseConfig, running: RunningServer, dataDir: DataDir | undefined): string {
  const mcp = running.urls.resource;
  return [
    `gatehouse: ${config.name} is running in ${modeLine(config)}`,
    `  MCP endpoint:       ${mcp}`,
    `  Resource metadata:  ${running.urls.resourceMetadata}`,
    `  Listening on:       http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${running.port}`,
    ...dataLine(config, dataDir),
    ...running.notices,
    ...(config.devKeys ? ['  Get a token:        npx gatehouse token --dev-keys --scope read:whoami'] : []),
    `  Connect a client:   claude mcp add --transport http ${clientName(config.name)} ${mcp}`,
    `                      (any other client: npx mcp-remote ${mcp})`,
    '',
  ].join('\n');
}
