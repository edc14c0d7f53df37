// A small SVG line chart, written by hand (no dependency, no browser): panels side by side, each with its own
// y scale from zero, x on a log scale, one line per series, a shared legend underneath.

export interface ChartSeries {
  label: string;
  color: string;
  /** An SVG stroke-dasharray, for lines told apart without colour. */
  dash?: string;
  /** One value per x; NaN leaves a point out. */
  values: number[];
}

export interface ChartPanel {
  title: string;
  series: ChartSeries[];
}

export interface LineChart {
  title: string;
  /** Where the figures come from (run, date, machine), under the title. */
  caption: string;
  xLabel: string;
  yLabel: string;
  /** Positive x values, drawn on a log scale (1, 10, 100 evenly spaced). */
  xs: number[];
  panels: ChartPanel[];
}

const PANEL_WIDTH = 380;
const PANEL_HEIGHT = 260;
const MARGIN = { left: 64, right: 24, top: 34, bottom: 44 };
const HEADER = 52;
const LEGEND = 34;

export function lineChartSvg(chart: LineChart): string {
  const width = chart.panels.length * PANEL_WIDTH;
  const height = HEADER + PANEL_HEIGHT + LEGEND;
  const series = chart.panels[0]?.series ?? [];
  // Legend entries side by side, centred, each as wide as its line, its label (about 6.5 px a character) and a gap.
  const widths = series.map((s) => 32 + s.label.length * 6.5 + 24);
  const lefts = widths.map((_, i) => (width - widths.reduce((a, b) => a + b, 0)) / 2 + widths.slice(0, i).reduce((a, b) => a + b, 0));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`,
    `<text x="${width / 2}" y="38" text-anchor="middle" fill="#555555">${escapeXml(chart.caption)}</text>`,
    ...chart.panels.map((panel, i) => panelSvg(chart, panel, i * PANEL_WIDTH, HEADER)),
    ...series.map((s, i) => {
      const x = lefts[i]!;
      const y = HEADER + PANEL_HEIGHT + LEGEND / 2;
      return `<line x1="${x}" y1="${y}" x2="${x + 26}" y2="${y}" stroke="${s.color}" stroke-width="2.5"${dashAttr(s)}/><text x="${x + 32}" y="${y + 4}">${escapeXml(s.label)}</text>`;
    }),
    '</svg>',
    '',
  ].join('\n');
}

function panelSvg(chart: LineChart, panel: ChartPanel, left: number, top: number): string {
  const x0 = left + MARGIN.left;
  const x1 = left + PANEL_WIDTH - MARGIN.right;
  const y0 = top + PANEL_HEIGHT - MARGIN.bottom;
  const y1 = top + MARGIN.top;
  const logs = chart.xs.map(Math.log10);
  const [minLog, maxLog] = [Math.min(...logs), Math.max(...logs)];
  const xAt = (x: number) => x0 + ((Math.log10(x) - minLog) / Math.max(1e-9, maxLog - minLog)) * (x1 - x0);
  const { step, top: yTop } = niceScale(Math.max(0, ...panel.series.flatMap((s) => s.values.filter(Number.isFinite))));
  const yAt = (y: number) => y0 - (y / yTop) * (y0 - y1);
  const parts = [`<text x="${(x0 + x1) / 2}" y="${top + 18}" text-anchor="middle" font-weight="bold">${escapeXml(panel.title)}</text>`];
  for (let y = 0; y <= yTop + step / 2; y += step) {
    parts.push(
      `<line x1="${x0}" y1="${yAt(y)}" x2="${x1}" y2="${yAt(y)}" stroke="#e3e3e3"/>`,
      `<text x="${x0 - 6}" y="${yAt(y) + 4}" text-anchor="end" fill="#444444">${formatNumber(y)}</text>`,
    );
  }
  for (const x of chart.xs) {
    parts.push(
      `<line x1="${xAt(x)}" y1="${y0}" x2="${xAt(x)}" y2="${y0 + 5}" stroke="#444444"/>`,
      `<text x="${xAt(x)}" y="${y0 + 18}" text-anchor="middle" fill="#444444">${formatNumber(x)}</text>`,
    );
  }
  parts.push(
    `<line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}" stroke="#444444"/>`,
    `<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}" stroke="#444444"/>`,
    `<text x="${(x0 + x1) / 2}" y="${y0 + 36}" text-anchor="middle" fill="#444444">${escapeXml(chart.xLabel)}</text>`,
    `<text transform="translate(${left + 16} ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" fill="#444444">${escapeXml(chart.yLabel)}</text>`,
  );
  for (const s of panel.series) {
    const points = chart.xs.flatMap((x, i) => (Number.isFinite(s.values[i]) ? [[xAt(x), yAt(s.values[i]!)] as const] : []));
    if (points.length > 1) {
      const d = points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${round1(x)} ${round1(y)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2.5"${dashAttr(s)}/>`);
    }
    for (const [x, y] of points) parts.push(`<circle cx="${round1(x)}" cy="${round1(y)}" r="3.5" fill="${s.color}"/>`);
  }
  return parts.join('\n');
}

/** A step of 1, 2 or 5 times a power of ten giving four to eight gridlines, and the top gridline at or above `max`. */
export function niceScale(max: number): { step: number; top: number } {
  if (!(max > 0)) return { step: 1, top: 1 };
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!;
  return { step, top: Math.ceil(max / step) * step };
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const formatNumber = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en') : n.toPrecision(2));
const dashAttr = (s: ChartSeries) => (s.dash ? ` stroke-dasharray="${s.dash}"` : '');
const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
