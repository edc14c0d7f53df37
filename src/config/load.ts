import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configSchema, type GatehouseConfig } from './schema.js';
import { SETTINGS, envName, flagName, parseSettingValue } from './settings.js';

/**
 * An operator's mistake: a configuration that cannot be used, a bad command option, a data directory or port that
 * cannot be had. Each problem is one line naming the setting (flag and environment variable), what is wrong, and
 * the fix; the CLI prints them as they are and exits with status 2.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  /** Values from command-line flags (already keyed by config key). */
  flags?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Path of a JSON config file; `gatehouse.json` in the working directory is read when present. */
  configFile?: string;
  cwd?: string;
}

/** Merge defaults < config file < environment < flags, and validate the result with the one schema. */
export function loadConfig(sources: ConfigSources = {}): GatehouseConfig {
  const env = sources.env ?? process.env;
  const cwd = sources.cwd ?? process.cwd();
  const fromFile = readConfigFile(sources.configFile ?? env['GATEHOUSE_CONFIG'], cwd);
  const fromEnv: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const raw = env[envName(setting.key)];
    if (raw !== undefined && raw !== '') fromEnv[setting.key] = parseSettingValue(setting, raw);
  }
  const merged = { ...fromFile, ...fromEnv, ...definedOnly(sources.flags ?? {}) };
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${describeSetting(String(issue.path[0] ?? ''))}: ${issue.message}`));
  }
  return result.data;
}

function readConfigFile(path: string | undefined, cwd: string): Record<string, unknown> {
  const file = path ?? (existsSync(resolve(cwd, 'gatehouse.json')) ? 'gatehouse.json' : undefined);
  if (file === undefined) return {};
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new ConfigError([`config file ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); check --config / GATEHOUSE_CONFIG`]);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch {
    throw new ConfigError([`config file ${file}: must be a JSON object of settings, e.g. {"issuer": "https://auth.example.com"}`]);
  }
}

/** How an operator error names a setting: `publicUrl (--public-url / GATEHOUSE_PUBLIC_URL)`. */
export function describeSetting(key: string): string {
  const setting = SETTINGS.find((s) => s.key === key);
  if (!setting) return key === '' ? 'configuration' : `unknown setting "${key}"`;
  return setting.envOnly ? `${key} (${envName(key)})` : `${key} (--${flagName(key)} / ${envName(key)})`;
}

function definedOnly(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}
