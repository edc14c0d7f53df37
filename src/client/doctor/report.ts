/** One line of a doctor report: what was checked, how it went, why, and what to do about it. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface Check {
  /** Stable across releases, e.g. `challenge.present`, `prm.resource-matches`: scripts key on it. */
  id: string;
  status: CheckStatus;
  /** One line: what was found. */
  message: string;
  /** One line: how to fix it; null when there is nothing to fix. */
  fix: string | null;
}

export interface DoctorReport {
  /** The MCP URL as given. */
  url: string;
  /** True when no check failed (warnings and skips allowed): the CLI's exit status 0. */
  ok: boolean;
  checks: Check[];
}

export const pass = (id: string, message: string): Check => ({ id, status: 'pass', message, fix: null });
export const warn = (id: string, message: string, fix: string): Check => ({ id, status: 'warn', message, fix });
export const fail = (id: string, message: string, fix: string): Check => ({ id, status: 'fail', message, fix });
export const skip = (id: string, message: string, fix: string | null = null): Check => ({ id, status: 'skip', message, fix });
