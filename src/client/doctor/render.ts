import { styleText } from 'node:util';
import type { CheckStatus, DoctorReport } from './report.js';

const STYLE: Record<CheckStatus, Parameters<typeof styleText>[0]> = { pass: 'green', warn: 'yellow', fail: 'red', skip: 'dim' };

/** The report for a person: one line per check, the fix indented under it, a tally at the end. */
export function renderText(report: DoctorReport, options: { color: boolean }): string {
  const paint = (status: CheckStatus, text: string) => (options.color ? styleText(STYLE[status], text) : text);
  const lines = [`gatehouse doctor ${report.url}`, ''];
  for (const check of report.checks) {
    lines.push(`${paint(check.status, check.status.toUpperCase().padEnd(4))} ${check.id}: ${check.message}`);
    if (check.fix && check.status !== 'pass') lines.push(`     fix: ${check.fix}`);
  }
  const count = (status: CheckStatus) => report.checks.filter((c) => c.status === status).length;
  const warnings = count('warn');
  lines.push('', `${count('pass')} passed, ${warnings} warning${warnings === 1 ? '' : 's'}, ${count('fail')} failed, ${count('skip')} skipped`);
  return `${lines.join('\n')}\n`;
}

/** The report for a machine: the same checks, as JSON. */
export function renderJson(report: DoctorReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
