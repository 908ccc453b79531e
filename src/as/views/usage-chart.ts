import { html, type SafeHtml } from './html.ts';

export type ChartDay = { date: string; value: number; text: string };

const WIDTH = 300;
const HEIGHT = 100;
const TOP = 14;
const BASELINE = 80;
const LABELS = 94;

/** Which days carry a date under the axis: the first, the last and, with room, the middle. */
function labelledDays(count: number): number[] {
  if (count <= 1) return count === 1 ? [0] : [];
  return count > 4 ? [0, Math.floor((count - 1) / 2), count - 1] : [0, count - 1];
}

/**
 * A bar per day as inline SVG: drawn on the server, coloured by the stylesheet (no
 * style attributes, no script), named by its title and summarised by its description
 * for screen readers; each bar's own title says its day and value. A date axis (first,
 * middle and last day) under the bars and the highest value above them; a day with
 * nothing shows as a stub on the axis, so one day of data reads as one bar among 30
 * days, not an empty box.
 */
export function usageChart({
  id,
  title,
  summary,
  days,
}: {
  id: string;
  title: string;
  summary: string;
  days: readonly ChartDay[];
}): SafeHtml {
  const max = Math.max(0, ...days.map((d) => d.value));
  const slot = WIDTH / Math.max(1, days.length);
  const bars = days.map((d, i) => {
    const empty = max === 0 || d.value <= 0;
    const height = empty ? 1 : Math.max(2, Math.round((d.value / max) * (BASELINE - TOP)));
    const x = (i * slot + slot * 0.15).toFixed(2);
    const width = (slot * 0.7).toFixed(2);
    return html`<rect class="chart-bar${empty ? ' chart-bar-empty' : ''}" x="${x}" y="${BASELINE - height}" width="${width}" height="${height}"><title>${d.date}: ${d.text}</title></rect>`;
  });
  const dates = labelledDays(days.length).map((i) => {
    const anchor = i === 0 ? 'start' : i === days.length - 1 ? 'end' : 'middle';
    const x = anchor === 'start' ? 0 : anchor === 'end' ? WIDTH : (i + 0.5) * slot;
    return html`<text class="chart-label chart-date" x="${x.toFixed(2)}" y="${LABELS}" text-anchor="${anchor}">${days[i]?.date}</text>`;
  });
  const peak = days.find((d) => d.value === max && max > 0);
  const scale = peak
    ? html`<line class="chart-grid" x1="0" y1="${TOP + 0.5}" x2="${WIDTH}" y2="${TOP + 0.5}"></line>
<text class="chart-label chart-peak" x="0" y="${TOP - 4}">Highest: ${peak.text}</text>`
    : html`<text class="chart-label chart-peak" x="0" y="${TOP - 4}">Nothing in these days</text>`;
  return html`<svg class="chart" id="${id}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${id}-title" aria-describedby="${id}-desc" focusable="false">
<title id="${id}-title">${title}</title>
<desc id="${id}-desc">${summary}</desc>
${scale}
<line class="chart-axis" x1="0" y1="${BASELINE + 0.5}" x2="${WIDTH}" y2="${BASELINE + 0.5}"></line>
${bars}
${dates}
</svg>`;
}
