import type { Hono } from 'hono';
import type { AuditEvent } from '../../audit/audit-log.js';
import { html, type Html } from '../web/html.js';
import { bucketEvents, lineChart, SERIES } from './activity-chart.js';
import type { ConsoleContext } from './console-context.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const hourTick = (ms: number) => `${new Date(ms).toISOString().slice(11, 13)}:00`;
const dayTick = (ms: number) => new Date(ms).toISOString().slice(5, 10);

/** Totals of a period beside the one before it, so a change shows as a number too. */
function totals(events: readonly AuditEvent[], now: number, period: number): Html {
  const count = (from: number, to: number, series: (typeof SERIES)[number]) => events.filter((e) => e.at >= from && e.at < to && series.counts(e)).length;
  return html`<table><thead><tr><th scope="col"></th><th scope="col">This period</th><th scope="col">The one before</th></tr></thead><tbody>${SERIES.map(
    (s) =>
      html`<tr data-series="${s.key}"><th scope="row"><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="${s.color}"/></svg> ${s.label}</th><td>${count(now - period, now + 1, s)}</td><td>${count(now - 2 * period, now - period, s)}</td></tr>`,
  )}</tbody></table>`;
}

/** The front page: sign-ins, tool calls and refusals over the last day and week, from the audit log. */
export function mountOverview(app: Hono, ctx: ConsoleContext): void {
  app.get(ctx.base, async (c) => {
    const admin = await ctx.access.require(c);
    const now = Date.now();
    const events = await ctx.audit.list({ since: now - 14 * DAY, limit: Number.MAX_SAFE_INTEGER });
    const body = html`<p class="muted">From the audit log. Refusals: failed and throttled sign-ins, denied consents, tool calls refused for scope, and grants cut off for token reuse.</p>
<h2>Last 24 hours</h2>
${lineChart('Sign-ins, tool calls and refusals per hour, last 24 hours', bucketEvents(events, now + 1, DAY, 24), hourTick)}
${totals(events, now, DAY)}
<h2>Last 7 days</h2>
${lineChart('Sign-ins, tool calls and refusals per 6 hours, last 7 days', bucketEvents(events, now + 1, 7 * DAY, 28), dayTick)}
${totals(events, now, 7 * DAY)}
<p><a href="${ctx.base}/activity">See the events</a></p>`;
    return ctx.render(c, admin, { section: 'overview', title: 'Admin console' }, body);
  });
}
