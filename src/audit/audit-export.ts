import type { AuditEvent } from './audit-log.js';

/** The columns of a CSV export, in order: every field an event may have. */
export const CSV_COLUMNS = [
  'id',
  'at',
  'type',
  'subject',
  'actor',
  'clientId',
  'grantId',
  'method',
  'tool',
  'outcome',
  'durationMs',
  'address',
  'reason',
] as const;

/** One event per line, as stored (JSON lines: each line parses on its own). */
export function toJsonLines(events: readonly AuditEvent[]): string {
  return events.map((event) => `${JSON.stringify(event)}\n`).join('');
}

/**
 * RFC 4180 CSV with a header row; `at` as an ISO date. A cell that a spreadsheet would run as a formula (it starts
 * with `=`, `+`, `-`, `@`, a tab or a carriage return: a client name or a reason can be anything) gets a leading
 * `'`, so it is shown as text (OWASP's CSV injection advice).
 */
export function toCsv(events: readonly AuditEvent[]): string {
  const rows = events.map((event) =>
    CSV_COLUMNS.map((column) => {
      const value = column === 'at' ? new Date(event.at).toISOString() : event[column];
      return cell(value === undefined ? '' : String(value));
    }).join(','),
  );
  return [CSV_COLUMNS.join(','), ...rows].map((row) => `${row}\r\n`).join('');
}

function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
