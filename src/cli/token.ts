import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { publicUrlOf, servedScopes } from '../config/build.js';
import { ConfigError, loadConfig, type ConfigSources } from '../config/load.js';
import { OIDC_SCOPES } from '../authserver/engine/provider.js';
import { mintAccessToken } from '../authserver/tokens/mint.js';
import { loadOrCreateDevKeys, mintDevToken } from '../dev/dev-keys.js';
import { serverUrls } from '../resource/urls.js';
import { openServerData } from './data.js';
import { prepareDataDir } from './data-dir.js';
import { DATA_SETTINGS, RECORDING_SETTINGS, URL_SETTINGS, type Sources, type WithSettings } from './setting-sets.js';

/** Refuse scopes the server does not declare: its authorization server would never grant them. */
function checkScopes(scopes: readonly string[], declared: readonly string[]): void {
  const unknown = scopes.filter((s) => !declared.includes(s));
  if (unknown.length === 0) return;
  const named = unknown.map((s) => `"${s}"`).join(', ');
  const what = unknown.length === 1 ? `${named} is not a scope` : `${named} are not scopes`;
  // OpenID scopes are in the server's discovery document, but they govern sign-in (ID tokens), never an access token.
  const openid = unknown.some((s) => OIDC_SCOPES.some((o) => o.name === s)) ? ' (OpenID scopes are for sign-in, not for access tokens)' : '';
  throw new ConfigError([
    `--scope: ${what} this server declares for its MCP resource${openid}: choose from ${declared.join(', ')} (its tools' scopes and --required-scopes)`,
  ]);
}

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
    // The scopes a token may carry are the served tools' and the required ones.
    [...DATA_SETTINGS, ...URL_SETTINGS, 'requiredScopes', ...RECORDING_SETTINGS],
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
    checkScopes(scopes, servedScopes(config));
    const data = await openServerData(config);
    try {
      const user = await data.accounts.findByEmail(String(options['user']));
      if (!user) throw new Error(`no account for ${String(options['user'])}; create it with \`gatehouse users add\``);
      if (user.disabled) throw new Error(`${user.email} is disabled`);
      const { keys } = await data.keys.load();
      const grantId = randomUUID();
      const token = await mintAccessToken({ store: data.store, keys, urls: data.urls, user, scopes, clientId, ttlSeconds: ttl, grantId });
      // On record like every issued token (identifiers only, never the token): who, for which client, what, how long.
      await data.audit.record({
        type: 'token.issued',
        subject: user.id,
        clientId,
        grantId,
        reason: `cli: scope ${scopes.length ? scopes.join(' ') : '(none)'}, ttl ${ttl}s`,
      });
      process.stdout.write(`${token}\n`);
    } finally {
      await data.close();
    }
    return;
  }

  // Development keys sign for a resource-mode server whose tools (and so its scopes) the CLI cannot know: it may
  // be the person's own server around the same keys. Any scope is minted, and the server's own check decides.
  // Nothing is recorded either: resource mode keeps no audit trail of its own.
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
