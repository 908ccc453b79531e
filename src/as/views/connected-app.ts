import { formatCount, formatUsd } from '../../usage/format-usage.ts';
import type { GrantUsage } from '../../usage/grant-usage.ts';
import { errorAlert, notice } from './alerts.ts';
import { type AuditEventView, auditTrail } from './audit-trail.ts';
import { errorSummary } from './error-summary.ts';
import { html, type SafeHtml } from './html.ts';
import { layout } from './layout.ts';
import { type LowerLimitsView, lowerLimitsErrorTarget, lowerLimitsForm } from './lower-limits-form.ts';
import { recentRequests } from './recent-requests.ts';
import { type SubAgentView, subAgents } from './sub-agents.ts';
import { tableScroll } from './table-scroll.ts';
import { usageCaps } from './usage-caps.ts';
import { usageChart } from './usage-chart.ts';
import { utcTime } from './utc-time.ts';

export type ConnectedAppPageView = {
  csrfToken: string;
  username: string;
  grantId: string;
  clientName: string;
  scopes: Array<{ value: string; text: string }>;
  grantedAt: Date;
  expiresAt: Date;
  /** `ended`: revoked or expired; the page then shows its history only, no forms. */
  state: { live: true } | { live: false; endedAt: Date; why: string };
  /** In words, e.g. "at most 200 requests each calendar month; 30 requests per minute". */
  limitsText: string;
  usage: GrantUsage;
  events: AuditEventView[];
  /** The sub-agents it handed access to by token exchange, and theirs, nearest first. */
  subAgents: SubAgentView[];
  /** For a sub-agent's own page: who it acts for (its `act` chain in words). */
  actor?: string;
  /** The lower-limits form, for a live grant. */
  lowerLimits?: LowerLimitsView;
  notice?: string;
  /** An error about the whole page (a form's own errors go with the form). */
  error?: string;
};

const DAYS_CAPTION = 'Requests, tokens and spending per day (UTC), oldest first';

function charts(usage: GrantUsage): SafeHtml {
  const series = [
    {
      id: 'chart-requests',
      title: 'Requests per day',
      total: usage.last30Days.requests,
      value: (d: GrantUsage['days'][number]) => d.requests,
      fmt: formatCount,
    },
    {
      id: 'chart-tokens',
      title: 'Tokens per day',
      total: usage.last30Days.tokens,
      value: (d: GrantUsage['days'][number]) => d.tokens,
      fmt: formatCount,
    },
    {
      id: 'chart-spend',
      title: 'Spending per day',
      total: usage.last30Days.spendMicroUsd,
      value: (d: GrantUsage['days'][number]) => d.spendMicroUsd,
      fmt: formatUsd,
    },
  ];
  const figures = series.map((s) => {
    const busiest = usage.days.reduce((best, d) => (s.value(d) > s.value(best) ? d : best), usage.days[0]);
    const top =
      busiest && s.value(busiest) > 0 ? ` Highest on ${busiest.date}: ${s.fmt(s.value(busiest))}.` : '';
    const summary = `${s.title} over the last 30 days, from ${usage.days[0]?.date} to ${usage.days.at(-1)?.date} (UTC): ${s.fmt(s.total)} in total.${top}`;
    return html`<figure class="chart-figure">
<figcaption>${s.title}: <strong>${s.fmt(s.total)}</strong> in 30 days</figcaption>
${usageChart({
  id: s.id,
  title: `${s.title}, last 30 days`,
  summary,
  days: usage.days.map((d) => ({ date: d.date, value: s.value(d), text: s.fmt(s.value(d)) })),
})}
</figure>`;
  });
  const rows = usage.days.map(
    (d) =>
      html`<tr><th scope="row">${d.date}</th><td class="number">${formatCount(d.requests)}</td><td class="number">${formatCount(d.tokens)}</td><td class="number">${formatUsd(d.spendMicroUsd)}</td></tr>`,
  );
  return html`<div class="charts">${figures}</div>
<details class="chart-data">
<summary>The last 30 days as a table</summary>
${tableScroll(
  DAYS_CAPTION,
  html`<table class="figures">
<caption class="visually-hidden">${DAYS_CAPTION}</caption>
<thead><tr><th scope="col">Day (UTC)</th><th scope="col" class="number">Requests</th><th scope="col" class="number">Tokens</th><th scope="col" class="number">Spending</th></tr></thead>
<tbody>${rows}</tbody>
</table>`,
)}
</details>`;
}

/**
 * One connected app: what it may use, its limits and usage against each cap, the last
 * 30 days, its latest requests, its audit trail; for a live grant, a form to lower the
 * limits and Revoke (posting `csrf` to /account/grants/<id>/revoke).
 */
export function renderConnectedApp(view: ConnectedAppPageView): string {
  const { usage, state } = view;
  const scopes = view.scopes.map((s) => html`<li>${s.text} <code class="scope-token">${s.value}</code></li>`);
  const status = state.live
    ? html`<div><dt>Expires</dt><dd>${utcTime(view.expiresAt)}</dd></div>`
    : html`<div><dt>Ended</dt><dd>${utcTime(state.endedAt)} (${state.why})</dd></div>`;
  const body = html`<p class="breadcrumb"><a href="/account">Connected apps</a></p>
<h1>${view.clientName}${view.actor && html`: sub-agent ${view.actor}`}</h1>
${view.lowerLimits?.error && errorSummary([{ message: view.lowerLimits.error.message, fieldId: lowerLimitsErrorTarget(view.lowerLimits.error) }])}
${view.notice && notice(view.notice)}
${view.error && errorAlert('page-error', view.error)}
<dl class="dates">
<div><dt>Allowed</dt><dd>${utcTime(view.grantedAt)}</dd></div>
${status}
</dl>
<h2>Can use</h2>
${scopes.length > 0 ? html`<ul class="scope-list">${scopes}</ul>` : html`<p>No AI provider access.</p>`}
<h2>Limits and usage</h2>
<p>Limits: ${view.limitsText}.</p>
${usageCaps(usage, 'usage')}
<h2>Last 30 days</h2>
${charts(usage)}
<h2>Recent requests</h2>
${recentRequests(usage.recent)}
<h2>Sub-agents</h2>
${subAgents(view.subAgents)}
${
  view.lowerLimits &&
  html`<h2>Lower limits</h2>
${lowerLimitsForm(view.lowerLimits, view.csrfToken)}`
}
<h2>History</h2>
${auditTrail(view.events)}
${
  state.live &&
  html`<h2>Revoke</h2>
<p>Revoking cuts off ${view.clientName}'s access at once, with every token it holds.</p>
<p><a class="button button-danger" href="/account/grants/${encodeURIComponent(view.grantId)}/revoke">Revoke<span class="visually-hidden"> ${view.clientName}</span></a></p>`
}`;
  return layout({ title: view.clientName, body, signedInAs: view.username, csrfToken: view.csrfToken });
}
