import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type ConfigSources } from '../config/load.js';
import { auditCommand } from './audit.js';
import { clientsCommand } from './clients.js';
import { openServerData } from './data.js';
import { storeCommand } from './store.js';
import { usersCommand } from './users.js';
import { SETTINGS, envName, flagName, parseSettingValue, type Setting } from '../config/settings.js';
import { runServe } from './serve.js';
import { runToken } from './token.js';

/** Settings that locate a server's data and URLs: what commands other than `serve` need. */
const DATA_SETTINGS = ['dataDir', 'store', 'storePrefix', 'publicUrl', 'port', 'mcpPath', 'redirectPolicy', 'allowedRedirectUris', 'auditRetentionDays'];

function settingOptions(command: Command, only?: readonly string[]): Command {
  command.option('--config <file>', 'JSON config file (default ./gatehouse.json when present; env GATEHOUSE_CONFIG)');
  for (const setting of SETTINGS) {
    if (setting.envOnly || (only && !only.includes(setting.key))) continue;
    const flag = `--${flagName(setting.key)}`;
    const spelling = setting.kind === 'boolean' ? flag : setting.kind === 'boolean-or-value' ? `${flag} [value]` : `${flag} <value>`;
    const option = new Option(spelling, helpText(setting));
    command.addOption(option.helpGroup?.('Settings (each also read from GATEHOUSE_<NAME>):') ?? option);
  }
  return command;
}

/** A setting's line in `--help`: what it does and its default, both from the settings table. */
export function helpText(setting: Setting): string {
  return setting.defaultText === undefined ? setting.description : `${setting.description} (default ${setting.defaultText})`;
}

/** Flags as raw strings keyed by config key; values are parsed like environment values. */
function flagValues(options: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const value = options[setting.key];
    if (value === undefined) continue;
    values[setting.key] =
      typeof value === 'string' && (setting.kind === 'list' || setting.kind === 'boolean-or-value') ? parseSettingValue(setting, value) : value;
  }
  return values;
}

function sourcesOf(options: Record<string, unknown>): ConfigSources {
  return { flags: flagValues(options), configFile: options['config'] as string | undefined };
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('gatehouse').description('OAuth 2.1 for MCP servers').showHelpAfterError();

  settingOptions(program.command('serve').description('run the protected MCP server'))
    .addHelpText(
      'after',
      `\nSecrets are read from the environment only: ${SETTINGS.filter((s) => s.envOnly)
        .map((s) => envName(s.key))
        .join(', ')}.`,
    )
    .action(async (options: Record<string, unknown>) => runServe(sourcesOf(options)));

  const dataOptions = (command: Command) => settingOptions(command, DATA_SETTINGS);
  settingOptions(
    program
      .command('token')
      .description('mint a development access token signed with the --dev-keys key')
      .option('--user <email>', 'embedded mode: the account the token is for')
      .option('--sub <subject>', 'with --dev-keys: subject of the token', 'dev-user')
      .option('--scope <scopes>', 'space-separated scopes', 'read:whoami')
      .option('--client-id <id>', 'client id claim', 'gatehouse-cli')
      .option('--email <email>', 'email claim')
      .option('--username <name>', 'preferred_username claim')
      .option('--ttl <seconds>', 'lifetime in seconds', '3600'),
    [...DATA_SETTINGS, 'devKeys'],
  ).action(async (options: Record<string, unknown>) => runToken(options, sourcesOf(options)));

  usersCommand(program, dataOptions, sourcesOf);
  storeCommand(program);
  clientsCommand(program, dataOptions, sourcesOf);
  auditCommand(program, dataOptions, sourcesOf);
  const keys = program.command('keys').description('signing keys of the embedded authorization server');
  dataOptions(
    keys
      .command('rotate')
      .description('publish a new signing key now and sign with it after the publication period; the previous one keeps verifying until its tokens expire')
      .option('--publish-for <seconds>', 'how long the new key is published before it signs: longer than resource servers cache the JWKS (default 900)'),
  ).action(async (options: Record<string, unknown>) => {
    const publishFor = options['publishFor'] === undefined ? undefined : Number(options['publishFor']);
    if (publishFor !== undefined && !(Number.isInteger(publishFor) && publishFor >= 0)) throw new ConfigError(['--publish-for: a whole number of seconds']);
    const data = await openServerData(loadConfig(sourcesOf(options)));
    try {
      const { current, retired, signsFrom } = await data.keys.rotate(publishFor);
      process.stdout.write(
        `new signing keys: ${current.join(', ')}${retired.length ? `; retired: ${retired.join(', ')}` : ''}\n` +
          `published now; they sign from ${new Date(signsFrom * 1000).toISOString()}\n`,
      );
    } finally {
      await data.close();
    }
  });

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`gatehouse: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`gatehouse: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
