import type { Command } from 'commander';
import type { ConfigSources } from '../config/load.js';
import type { SettingKey } from '../config/settings.js';

/**
 * Which settings each command reads, so that its flags and `--help` offer those and no others (`users add` has no
 * `--port`). Every command still reads the config file and the environment.
 */

/** Where the server's data is: every command that opens it. */
export const DATA_SETTINGS: readonly SettingKey[] = ['dataDir', 'store', 'storePrefix'];

/** What the server's URLs are made of: for the MCP URL a command prints, or a token's audience. */
export const URL_SETTINGS: readonly SettingKey[] = ['publicUrl', 'port', 'mcpPath'];

/** Commands that record audit events keep them as long as the server does. */
export const RECORDING_SETTINGS: readonly SettingKey[] = ['auditRetentionDays'];

/** Adds to a command the flags of the settings it reads (and `--config`), so its `--help` offers only those. */
export type WithSettings = (command: Command, only: readonly SettingKey[]) => Command;

/** A command's configuration sources from its parsed options. */
export type Sources = (options: Record<string, unknown>) => ConfigSources;
