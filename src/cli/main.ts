import { Command, Option } from 'commander';
import type { ConfigSources } from '../config/load.js';
import { auditCommand } from './audit.js';
import { clientsCommand } from './clients.js';
import { resourcesCommand } from './resources.js';
import { connectCommand } from './connect.js';
import { doctorCommand } from './doctor.js';
import { reportFailure, throwUsageErrors } from './failure.js';
import { keysCommand } from './keys.js';
import { readPackageJson } from './package-json.js';
import { storeCommand } from './store.js';
import { usersCommand } from './users.js';
import { SETTINGS, envName, flagName, parseSettingValue, type Setting, type SettingKey } from '../config/settings.js';
import type { WithSettings } from './setting-sets.js';
import { runServe } from './serve.js';
import { tokenCommand } from './token.js';

const SETTINGS_GROUP = 'Settings (each also read from GATEHOUSE_<NAME> and the config file):';

function settingOptions(command: Command, only?: readonly SettingKey[]): Command {
  command.option('--config <file>', 'JSON config file (default ./gatehouse.json when present; env GATEHOUSE_CONFIG)');
  for (const setting of SETTINGS) {
    if (setting.envOnly || (only && !only.includes(setting.key))) continue;
    const flag = `--${flagName(setting.key)}`;
    const spelling = setting.kind === 'boolean' ? flag : setting.kind === 'boolean-or-value' ? `${flag} [value]` : `${flag} <value>`;
    const option = new Option(spelling, helpText(setting));
    // A list may be given as one comma-separated value or by repeating the flag.
    if (setting.kind === 'list') option.argParser((value: string, previous: string | undefined) => (previous === undefined ? value : `${previous},${value}`));
    // A switch that is on by default is only ever turned off: its help shows the --no- form alone.
    if (setting.negatable && setting.defaultText === 'on') option.hideHelp();
    command.addOption(option.helpGroup(SETTINGS_GROUP));
    if (setting.flagAlias) command.addOption(new Option(`--${setting.flagAlias} <value>`, `same as ${flag}`).helpGroup(SETTINGS_GROUP));
    if (setting.negatable) {
      command.addOption(new Option(`--no-${flagName(setting.key)}`, `${setting.description}: off (default ${setting.defaultText})`).helpGroup(SETTINGS_GROUP));
    }
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
    const value = options[setting.key] ?? (setting.flagAlias && options[camelCase(setting.flagAlias)]);
    if (value === undefined) continue;
    values[setting.key] =
      typeof value === 'string' && (setting.kind === 'list' || setting.kind === 'boolean-or-value') ? parseSettingValue(setting, value) : value;
  }
  return values;
}

/** The name commander keeps a flag's value under: `access-token-ttl` → `accessTokenTtl`. */
const camelCase = (flag: string) => flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

function sourcesOf(options: Record<string, unknown>): ConfigSources {
  return { flags: flagValues(options), configFile: options['config'] as string | undefined };
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('gatehouse').description('OAuth 2.1 for MCP servers').version(readPackageJson().version, '-V, --version', 'print the version');

  settingOptions(program.command('serve').description('run the protected MCP server'))
    .addHelpText(
      'after',
      `\nSecrets are read from the environment only: ${SETTINGS.filter((s) => s.envOnly)
        .map((s) => envName(s.key))
        .join(', ')}.`,
    )
    .action(async (options: Record<string, unknown>) => runServe(sourcesOf(options)));

  const withSettings: WithSettings = (command, only) => settingOptions(command, only);
  tokenCommand(program, withSettings, sourcesOf);
  usersCommand(program, withSettings, sourcesOf);
  storeCommand(program);
  clientsCommand(program, withSettings, sourcesOf);
  resourcesCommand(program, withSettings, sourcesOf);
  auditCommand(program, withSettings, sourcesOf);
  keysCommand(program, withSettings, sourcesOf);
  connectCommand(program);
  doctorCommand(program);
  throwUsageErrors(program);

  try {
    await program.parseAsync(argv);
  } catch (error) {
    const { lines, exitCode } = reportFailure(error);
    for (const line of lines) process.stderr.write(`${line}\n`);
    process.exitCode = exitCode;
  }
}
