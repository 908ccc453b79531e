import { providerDisplayName } from '../../scopes/index.ts';
import { formatAgainstCap, formatMeasure, formatPeriod, type Measure } from '../../usage/format-usage.ts';
import type { CapFigure, GrantCaps, ScopeFigures } from '../../usage/grant-usage.ts';
import { html, raw, type SafeHtml } from './html.ts';

const ROWS: ReadonlyArray<readonly [Measure, string, (u: ScopeFigures) => CapFigure]> = [
  ['requests', 'Requests', (u) => u.requests],
  ['tokens', 'Tokens', (u) => u.tokens],
  ['spend', 'Spending', (u) => u.spendMicroUsd],
];

function meter(id: string, measure: Measure, cap: CapFigure): SafeHtml | '' {
  if (cap.limit === null || cap.limit <= 0) return '';
  // A native <meter>: the browser draws it and announces its value; no style needed.
  const taken = Math.min(cap.used + cap.inFlight + cap.setAside, cap.limit);
  return html`<meter id="${id}" min="0" max="${cap.limit}" low="${cap.limit * 0.75}" high="${cap.limit * 0.9}" optimum="0" value="${taken}" aria-labelledby="${id}-label">${formatAgainstCap(measure, cap)}</meter>`;
}

/** One scope's rows: label, "12 of 200 (6%)", what is in flight and set aside, what remains, a meter. */
function capRows(figures: ScopeFigures, idPrefix: string): SafeHtml[] {
  return ROWS.map(([measure, label, pick]) => {
    const cap = pick(figures);
    const id = `${idPrefix}-${measure}`;
    const inFlight =
      cap.inFlight > 0 &&
      html` <span class="usage-in-flight">${formatMeasure(measure, cap.inFlight)} in flight</span>`;
    // A proxy's slice of the budget (leases), held for the app's next requests.
    const setAside =
      cap.setAside > 0 &&
      html` <span class="usage-set-aside">${formatMeasure(measure, cap.setAside)} set aside for this app</span>`;
    const remaining =
      cap.remaining !== null &&
      html` <span class="usage-remaining">${formatMeasure(measure, cap.remaining)} left</span>`;
    const data = raw(
      ` data-used="${cap.used}" data-in-flight="${cap.inFlight}" data-set-aside="${cap.setAside}"${cap.limit === null ? '' : ` data-limit="${cap.limit}" data-remaining="${cap.remaining}"`}`,
    );
    return html`<div><dt id="${id}-label">${label}</dt><dd${data}>${formatAgainstCap(measure, cap)}${inFlight}${setAside}${remaining}${meter(id, measure, cap)}</dd></div>`;
  });
}

const rate = (perMinute: number | null) =>
  perMinute !== null &&
  html`<div><dt>Rate limit</dt><dd>${formatMeasure('requests', perMinute)} requests per minute</dd></div>`;

/**
 * Usage so far in the current period against each cap, from the ledger the proxy
 * enforces: the whole grant's (every provider together), then each provider's, as
 * description lists (label, "12 of 200 (6%)", what requests in flight hold, what
 * remains, a meter). `idPrefix` keeps ids unique when several apps are listed on one
 * page; `level` is the heading level of each provider's part; `appName`, on a page
 * listing several apps, ends each provider part's name (for screen readers only), so
 * two apps' "OpenAI requests" are two regions of different names.
 */
export function usageCaps(usage: GrantCaps, idPrefix: string, level: 3 | 4 = 3, appName?: string): SafeHtml {
  const unpriced =
    usage.unpricedRequests > 0 &&
    html`<p class="hint">${formatMeasure('requests', usage.unpricedRequests)} of these requests had no price in Mandate's price table; their cost is not in the spending.</p>`;
  const providers = usage.providers.map((p) => {
    const name = providerDisplayName(p.scope);
    const id = `${idPrefix}-${p.scope}`;
    return html`<section class="usage-scope" aria-labelledby="${id}-heading">
${raw(`<h${level} id="${id}-heading">`)}${name} requests${appName !== undefined && html`<span class="visually-hidden"> of ${appName}</span>`}${raw(`</h${level}>`)}
<dl class="usage-caps" id="${id}" data-scope="${p.scope}">
${capRows(p, id)}
${rate(p.requestsPerMinute)}
</dl>
</section>`;
  });
  const whole =
    usage.providers.length > 0 &&
    html`${raw(`<h${level} id="${idPrefix}-whole-heading">`)}All providers together${raw(`</h${level}>`)}`;
  return html`${whole}
<dl class="usage-caps" id="${idPrefix}-whole" data-scope="*">
${capRows(usage, idPrefix)}
<div><dt>Period</dt><dd>${formatPeriod(usage.period)}</dd></div>
${rate(usage.requestsPerMinute)}
</dl>
${unpriced}
${providers}`;
}
