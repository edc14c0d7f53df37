import { CommanderError, type Command } from 'commander';
import { ConfigError } from '../config/load.js';
import { OperatorError } from '../util/operator-error.js';

/** Exit status of an operator's mistake (a setting, a flag, the data directory, the port): fix it and run again. */
export const USAGE_EXIT = 2;

/** A command line commander could not read (unknown flag or command, missing argument), with the command it was for. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `gatehouse users add`: the command as typed, for "see … --help". */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Make commander throw instead of exiting, on this command and every one below it, and keep its own error
 * printing quiet: the one error path (`reportFailure`) says it, in one line.
 */
export function throwUsageErrors(command: Command): void {
  command.configureOutput({ outputError: () => {} });
  command.exitOverride((error) => {
    // Help and --version were asked for and printed: not failures.
    if (error.exitCode === 0 || error.code === 'commander.help') throw error;
    throw new UsageError(error.message, commandPath(command));
  });
  for (const sub of command.commands) throwUsageErrors(sub);
}

/** commander's "error: unknown option '--prot'\n(Did you mean --port?)" as one line. */
function oneLine(message: string): string {
  return message
    .replace(/^error:\s*/i, '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => line.replace(/^\(Did you mean (.*)\)$/, '(did you mean $1)'))
    .join(' ');
}

/**
 * The one error path of the CLI: what to print for a failure, and the exit status. An operator's mistake is one
 * line per problem naming the flag (and environment variable) and the fix, exit 2; anything else is its message,
 * exit 1. Never a stack: these are read by people, and the message carries what they need.
 */
export function reportFailure(error: unknown): { lines: string[]; exitCode: number } {
  if (error instanceof ConfigError) return { lines: error.problems.map((p) => `gatehouse: ${p}`), exitCode: USAGE_EXIT };
  if (error instanceof OperatorError) return { lines: [`gatehouse: ${oneLine(error.message)}`], exitCode: USAGE_EXIT };
  if (error instanceof UsageError) return { lines: [`gatehouse: ${oneLine(error.message)}; see \`${error.command} --help\``], exitCode: USAGE_EXIT };
  // Help printed because no command was given is a usage error too; help asked for is not.
  if (error instanceof CommanderError) return { lines: [], exitCode: error.exitCode === 0 ? 0 : USAGE_EXIT };
  return { lines: [`gatehouse: ${error instanceof Error ? error.message : String(error)}`], exitCode: 1 };
}
