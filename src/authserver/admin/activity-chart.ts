import type { AuditEvent } from '../../audit/audit-log.js';
import { html, type Html } from '../web/html.js';

/** The three things the front page charts, each with how it is told apart in the audit log. */
export const SERIES = [
  { key: 'signIns', label: 'Sign-ins', color: '#1f5fbf', counts: (e: AuditEvent) => e.type === 'login.succeeded' },
  { key: 'toolCalls', label: 'Tool calls', color: '#2e7d32', counts: (e: AuditEvent) => e.type === 'tool.called' },
  {
    key: 'refusals',
    label: 'Refusals',
    color: '#c62828',
    counts: (e: AuditEvent) =>
      ['login.failed', 'login.throttled', 'consent.denied', 'grant.reuse_detected'].includes(e.type) || (e.type === 'tool.called' && e.outcome === 'denied'),
  },
] as const;

export type SeriesKey = (typeof SERIES)[number]['key'];

export interface Buckets {
  start: number;
  bucketMs: number;
  counts: Record<SeriesKey, number[]>;
}

/** Count events into `buckets` equal slices of the period ending at `end`. */
export function bucketEvents(events: readonly AuditEvent[], end: number, periodMs: number, buckets: number): Buckets {
  const start = end - periodMs;
  const bucketMs = periodMs / buckets;
  const counts = Object.fromEntries(SERIES.map((s) => [s.key, new Array<number>(buckets).fill(0)])) as Record<SeriesKey, number[]>;
  for (const event of events) {
    if (event.at < start || event.at >= end) continue;
    const index = Math.min(buckets - 1, Math.floor((event.at - start) / bucketMs));
    for (const series of SERIES) if (series.counts(event)) counts[series.key][index]! += 1;
  }
  return { start, bucketMs, counts };
}

const WIDTH = 640;
const HEIGHT = 200;
const PAD = { left: 40, right: 10, top: 10, bottom: 28 };

/**
 * A line chart as inline SVG, drawn here: no script, no image from elsewhere, so the pages' strict CSP holds.
 * Presentation attributes only (a `style` attribute would need the CSP to allow it).
 */
export function lineChart(title: string, data: Buckets, tick: (ms: number) => string): Html {
  const all = SERIES.flatMap((s) => data.counts[s.key]);
  const max = Math.max(1, ...all);
  const n = data.counts.signIns.length;
  const x = (i: number) => PAD.left + ((WIDTH - PAD.left - PAD.right) * i) / Math.max(1, n - 1);
  const y = (v: number) => PAD.top + (HEIGHT - PAD.top - PAD.bottom) * (1 - v / max);
  const ticks = [0, Math.floor(n / 2), n - 1];
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${title}" xmlns="http://www.w3.org/2000/svg">
<title>${title}</title>
<line x1="${PAD.left}" y1="${y(0)}" x2="${WIDTH - PAD.right}" y2="${y(0)}" stroke="currentColor" stroke-opacity="0.4"/>
<text x="${PAD.left - 6}" y="${y(max) + 4}" text-anchor="end" font-size="11" fill="currentColor">${max}</text>
<text x="${PAD.left - 6}" y="${y(0) + 4}" text-anchor="end" font-size="11" fill="currentColor">0</text>
${ticks.map(
  (i, k) =>
    html`<text x="${x(i)}" y="${HEIGHT - 8}" text-anchor="${['start', 'middle', 'end'][k]}" font-size="11" fill="currentColor">${tick(data.start + i * data.bucketMs)}</text>`,
)}
${SERIES.map(
  (s) =>
    html`<polyline data-series="${s.key}" fill="none" stroke="${s.color}" stroke-width="2" points="${data.counts[s.key].map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`,
)}
</svg>`;
}
