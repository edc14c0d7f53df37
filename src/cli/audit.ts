import type { Command } from 'commander';
import { AUDIT_EVENTS, type AuditEvent } from '../audit/audit-log.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { openServerData } from './data.js';
import { sinceTime } from '../util/since.js';
import { DATA_SETTINGS, type Sources, type WithSettings } from './setting-sets.js';

/** `--since 2h`, `--since 7d`, or a date: the earliest time to show (ms). */
export function parseSince(value: string, now = Date.now()): number {
  const since = sinceTime(value, now);
  if (since === undefined) throw new ConfigError([`--since takes a duration like 30m, 12h or 7d, or a date; got "${value}"`]);
  return since;
}

function line(event: AuditEvent): string {
  const fields = [
    new Date(event.at).toISOString(),
    event.type,
    event.subject && `subject=${event.subject}`,
    event.actor && `by=${event.actor}`,
    event.clientId && `client=${event.clientId}`,
    event.method && `method=${event.method}`,
    event.tool && `tool=${event.tool}`,
    event.outcome && `outcome=${event.outcome}`,
    event.durationMs !== undefined && `duration=${event.durationMs}ms`,
    event.grantId && `grant=${event.grantId}`,
    event.address && `from=${event.address}`,
    event.reason && `(${event.reason})`,
  ];
  return fields.filter(Boolean).join('  ');
}

/** Event types and their families (`login` for `login.succeeded`…): what `--event` may name. */
const EVENT_FAMILIES = new Set(AUDIT_EVENTS.map((type) => type.split('.')[0]!));

/** `--event` as given, refused when it names no event: a typo would otherwise read as "nothing happened". */
export function eventFilter(value: string | undefined): string | undefined {
  if (value === undefined || (AUDIT_EVENTS as readonly string[]).includes(value) || EVENT_FAMILIES.has(value)) return value;
  throw new ConfigError([
    `--event: "${value}" is not an event type or family: give one of ${[...EVENT_FAMILIES].join(', ')} (a family) or ${AUDIT_EVENTS.join(', ')}`,
  ]);
}

/** `gatehouse audit`: the audit trail, newest first, filtered. */
export function auditCommand(program: Command, withSettings: WithSettings, sources: Sources): void {
  withSettings(
    program
      .command('audit')
      .description('show the audit trail: sign-ins, consents, clients, tokens, tool calls (newest first)')
      .option('--user <account>', 'only this account (email, account id, or <provider>:<login>)')
      .option('--client <clientId>', 'only this client')
      .option('--event <type>', `only this event type or family (e.g. login, token.issued): ${AUDIT_EVENTS.join(', ')}`)
      .option('--since <when>', 'only events since a duration ago (30m, 12h, 7d) or a date')
      .option('--limit <n>', 'at most this many events', '100')
      .option('--json', 'print JSON lines'),
    DATA_SETTINGS,
  ).action(async (options: Record<string, unknown>) => {
    const limit = Number(options['limit']);
    if (!Number.isInteger(limit) || limit < 1) throw new ConfigError(['--limit must be a positive whole number']);
    const type = eventFilter(options['event'] as string | undefined);
    const data = await openServerData(loadConfig(sources(options)));
    try {
      const user = typeof options['user'] === 'string' ? await data.accounts.resolve(options['user']) : undefined;
      const events = await data.audit.list({
        subject: user?.id,
        clientId: options['client'] as string | undefined,
        type,
        since: typeof options['since'] === 'string' ? parseSince(options['since']) : undefined,
        limit,
      });
      for (const event of events) process.stdout.write(`${options['json'] ? JSON.stringify(event) : line(event)}\n`);
      if (events.length === 0 && !options['json']) process.stdout.write('no matching events\n');
    } finally {
      await data.close();
    }
  });
}
