import type { Hono } from 'hono';
import type { AuditEvent } from '../../audit/audit-log.js';
import { bucketEvents, lineChart, SERIES } from './activity-chart.js';
import type { ConsoleContext } from './console-context.js';
import { overviewPage, type OverviewPeriod } from './overview-view.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const hourTick = (ms: number) => `${new Date(ms).toISOString().slice(11, 13)}:00`;
const dayTick = (ms: number) => new Date(ms).toISOString().slice(5, 10);

/** Each series counted in the period ending now and in the one before it. */
function totals(events: readonly AuditEvent[], now: number, period: number): OverviewPeriod['totals'] {
  const count = (from: number, to: number, series: (typeof SERIES)[number]) => events.filter((e) => e.at >= from && e.at < to && series.counts(e)).length;
  return SERIES.map((s) => ({
    key: s.key,
    label: s.label,
    color: s.color,
    thisPeriod: count(now - period, now + 1, s),
    periodBefore: count(now - 2 * period, now - period, s),
  }));
}

/** The front page: sign-ins, tool calls and refusals over the last day and week, from the audit log. */
export function mountOverview(app: Hono, ctx: ConsoleContext): void {
  app.get(ctx.base, async (c) => {
    const admin = await ctx.access.require(c);
    const now = Date.now();
    const events = await ctx.audit.list({ since: now - 14 * DAY, limit: Number.MAX_SAFE_INTEGER });
    const body = overviewPage({
      periods: [
        {
          heading: 'Last 24 hours',
          chart: lineChart('Sign-ins, tool calls and refusals per hour, last 24 hours', bucketEvents(events, now + 1, DAY, 24), hourTick),
          totals: totals(events, now, DAY),
        },
        {
          heading: 'Last 7 days',
          chart: lineChart('Sign-ins, tool calls and refusals per 6 hours, last 7 days', bucketEvents(events, now + 1, 7 * DAY, 28), dayTick),
          totals: totals(events, now, 7 * DAY),
        },
      ],
      activityUrl: `${ctx.base}/activity`,
    });
    return ctx.render(c, admin, { section: 'overview', title: 'Admin console' }, body);
  });
}
