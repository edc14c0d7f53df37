import { homedir } from 'node:os';
import { join } from 'node:path';

/** The variable that moves `gatehouse connect`'s state (tokens, registrations) elsewhere, for scripts and tests. */
export const CONFIG_DIR_ENV = 'GATEHOUSE_CONFIG_DIR';

/**
 * Where `gatehouse connect` keeps what it learns about servers: $GATEHOUSE_CONFIG_DIR, else
 * $XDG_CONFIG_HOME/gatehouse, else ~/.config/gatehouse (the XDG Base Directory default).
 */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env[CONFIG_DIR_ENV];
  if (own) return own;
  const xdg = env['XDG_CONFIG_HOME'];
  // XDG says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  return join(xdg?.startsWith('/') ? xdg : join(homedir(), '.config'), 'gatehouse');
}
