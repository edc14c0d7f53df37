import { html, type Html } from '../web/html.js';
import { templatedBody } from '../web/templated-page.js';

/** A period the front page charts: the last day, the last week. */
export interface OverviewPeriod {
  /** `Last 24 hours`, `Last 7 days`. */
  heading: string;
  /** The line chart, an inline SVG the server drew (activity-chart.ts): HTML, placed raw. */
  chart: Html;
  /** Each series charted, with its totals in this period and in the one before it. */
  totals: { key: string; label: string; color: string; thisPeriod: number; periodBefore: number }[];
}

export interface OverviewView {
  periods: OverviewPeriod[];
  /** The activity section, where the events are listed. */
  activityUrl: string;
}

/** The console's front page: sign-ins, tool calls and refusals over the last day and week. */
export const overviewPage = templatedBody<OverviewView>(
  'admin-overview',
  (
    view,
  ) => html`<p class="muted">From the audit log. Refusals: failed and throttled sign-ins, denied consents, tool calls refused for scope, and grants cut off for token reuse.</p>
${view.periods.map(
  (period) => html`<h2>${period.heading}</h2>
${period.chart}
${totalsTable(period)}
`,
)}<p><a href="${view.activityUrl}">See the events</a></p>`,
);

/** Totals of a period beside the one before it, so a change shows as a number too. */
function totalsTable(period: OverviewPeriod): Html {
  return html`<table><thead><tr><th scope="col"></th><th scope="col">This period</th><th scope="col">The one before</th></tr></thead><tbody>${period.totals.map(
    (s) =>
      html`<tr data-series="${s.key}"><th scope="row"><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="${s.color}"/></svg> ${s.label}</th><td>${s.thisPeriod}</td><td>${s.periodBefore}</td></tr>`,
  )}</tbody></table>`;
}
