import { html, type SafeHtml } from './html.ts';

export type ChartDay = { date: string; value: number; text: string };

const WIDTH = 300;
const HEIGHT = 80;
const BASELINE = 76;
const TOP = 4;

/**
 * A bar per day as inline SVG: drawn on the server, coloured by the stylesheet (no
 * style attributes, no script), named by its title and summarised by its description
 * for screen readers; each bar's own title says its day and value.
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
    const height =
      max === 0 || d.value <= 0 ? 0 : Math.max(1, Math.round((d.value / max) * (BASELINE - TOP)));
    const x = (i * slot + slot * 0.15).toFixed(2);
    const width = (slot * 0.7).toFixed(2);
    return html`<rect class="chart-bar" x="${x}" y="${BASELINE - height}" width="${width}" height="${height}"><title>${d.date}: ${d.text}</title></rect>`;
  });
  return html`<svg class="chart" id="${id}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${id}-title" aria-describedby="${id}-desc" focusable="false">
<title id="${id}-title">${title}</title>
<desc id="${id}-desc">${summary}</desc>
<line class="chart-axis" x1="0" y1="${BASELINE + 0.5}" x2="${WIDTH}" y2="${BASELINE + 0.5}"></line>
${bars}
</svg>`;
}
