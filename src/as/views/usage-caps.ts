import { formatAgainstCap, formatMeasure, formatPeriod, type Measure } from '../../usage/format-usage.ts';
import type { CapFigure, GrantCaps } from '../../usage/grant-usage.ts';
import { html, raw, type SafeHtml } from './html.ts';

const ROWS: ReadonlyArray<readonly [Measure, string, (u: GrantCaps) => CapFigure]> = [
  ['requests', 'Requests', (u) => u.requests],
  ['tokens', 'Tokens', (u) => u.tokens],
  ['spend', 'Spending', (u) => u.spendMicroUsd],
];

function meter(id: string, measure: Measure, cap: CapFigure): SafeHtml | '' {
  if (cap.limit === null || cap.limit <= 0) return '';
  // A native <meter>: the browser draws it and announces its value; no style needed.
  return html`<meter id="${id}" min="0" max="${cap.limit}" low="${cap.limit * 0.75}" high="${cap.limit * 0.9}" optimum="0" value="${Math.min(cap.used, cap.limit)}" aria-labelledby="${id}-label">${formatAgainstCap(measure, cap)}</meter>`;
}

/**
 * Usage so far in the current period against each cap, as a description list (label,
 * "12 of 200 (6%)", what remains, a meter). `idPrefix` keeps ids unique when several
 * apps are listed on one page.
 */
export function usageCaps(usage: GrantCaps, idPrefix: string): SafeHtml {
  const rows = ROWS.map(([measure, label, pick]) => {
    const cap = pick(usage);
    const id = `${idPrefix}-${measure}`;
    const remaining =
      cap.remaining === null
        ? ''
        : html`<span class="usage-remaining">${formatMeasure(measure, cap.remaining)} left</span>`;
    return html`<div><dt id="${id}-label">${label}</dt><dd>${formatAgainstCap(measure, cap)}${remaining && raw(' ')}${remaining}${meter(id, measure, cap)}</dd></div>`;
  });
  const unpriced =
    usage.unpricedRequests > 0 &&
    html`<p class="hint">${formatMeasure('requests', usage.unpricedRequests)} of these requests had no price in Mandate's price table; their cost is not in the spending.</p>`;
  return html`<dl class="usage-caps">
${rows}
<div><dt>Period</dt><dd>${formatPeriod(usage.period)}</dd></div>
${usage.requestsPerMinute !== null && html`<div><dt>Rate limit</dt><dd>${formatMeasure('requests', usage.requestsPerMinute)} requests per minute</dd></div>`}
</dl>
${unpriced}`;
}
