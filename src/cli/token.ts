import type { Command } from 'commander';
import { publicUrlOf } from '../config/build.js';
import { ConfigError, loadConfig, type ConfigSources } from '../config/load.js';
import { mintAccessToken } from '../authserver/tokens/mint.js';
import { loadOrCreateDevKeys, mintDevToken } from '../dev/dev-keys.js';
import { serverUrls } from '../resource/urls.js';
import { openServerData } from './data.js';
import { prepareDataDir } from './data-dir.js';
import { DATA_SETTINGS, RECORDING_SETTINGS, URL_SETTINGS, type Sources, type WithSettings } from './setting-sets.js';

/** `gatehouse token`: its two modes are told apart by --user and --dev-keys. */
export function tokenCommand(program: Command, withSettings: WithSettings, sources: Sources): void {
  withSettings(
    program
      .command('token')
      .description(
        'print an access token for scripts and tests: for an account of the embedded or federated server (--user), ' +
          'or signed with the development key of `serve --mode resource --dev-keys` (--dev-keys)',
      )
      .option('--user <email>', 'the account the token is for (its email)')
      .option('--dev-keys', 'sign with the development key in the data directory, for a resource-mode server started with --dev-keys')
      .option('--sub <subject>', 'with --dev-keys: the subject of the token', 'dev-user')
      .option('--scope <scopes>', 'space-separated scopes, each one the server declares', 'read:whoami')
      .option('--client-id <id>', 'the client_id claim', 'gatehouse-cli')
      .option('--email <email>', 'with --dev-keys: the email claim')
      .option('--username <name>', 'with --dev-keys: the preferred_username claim')
      .option('--ttl <seconds>', 'lifetime in seconds, at most 86400', '3600'),
    [...DATA_SETTINGS, ...URL_SETTINGS, ...RECORDING_SETTINGS],
  ).action(async (options: Record<string, unknown>) => runToken(options, sources(options)));
}

/**
 * `gatehouse token`: print an access token. With `--user <email>`, for an account of the embedded server;
 * with `--dev-keys`, for a resource-mode server using development keys (same data dir and public URL).
 */
export async function runToken(options: Record<string, unknown>, sources: ConfigSources): Promise<void> {
  const ttl = Number(options['ttl']);
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > 86_400) throw new ConfigError(['--ttl must be a whole number of seconds between 1 and 86400']);
  const scopes = String(options['scope']).split(' ').filter(Boolean);
  const clientId = String(options['clientId']);

  if (options['user'] !== undefined) {
    const config = loadConfig(sources);
    const data = await openServerData(config);
    try {
      const user = await data.accounts.findByEmail(String(options['user']));
      if (!user) throw new Error(`no account for ${String(options['user'])}; create it with \`gatehouse users add\``);
      if (user.disabled) throw new Error(`${user.email} is disabled`);
      const { keys } = await data.keys.load();
      process.stdout.write(`${await mintAccessToken({ store: data.store, keys, urls: data.urls, user, scopes, clientId, ttlSeconds: ttl })}\n`);
    } finally {
      await data.close();
    }
    return;
  }

  const config = loadConfig({ ...sources, flags: { ...sources.flags, mode: 'resource', devKeys: true } });
  if (!options['devKeys']) throw new ConfigError(['say whose token: --user <email> (embedded mode) or --dev-keys (resource mode with development keys)']);
  const urls = serverUrls(publicUrlOf(config), config.mcpPath);
  prepareDataDir(config.dataDir, { create: false });
  const keys = await loadOrCreateDevKeys(config.dataDir);
  process.stdout.write(
    `${await mintDevToken(keys, {
      issuer: urls.origin,
      audience: urls.resource,
      subject: String(options['sub']),
      scopes,
      clientId,
      email: options['email'] as string | undefined,
      username: options['username'] as string | undefined,
      ttlSeconds: ttl,
    })}\n`,
  );
}
