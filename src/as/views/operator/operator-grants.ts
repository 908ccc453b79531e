import { html } from '../html.ts';
import { tableScroll } from '../table-scroll.ts';
import { utcTime } from '../utc-time.ts';
import { type OperatorFrame, operatorLayout } from './operator-layout.ts';

/** One scope of a grant as `mandate usage` prints it: `all`, then each provider. */
export type OperatorGrantScopeView = {
  scope: string;
  requests: string;
  tokens: string;
  spend: string;
};

export type OperatorGrantView = {
  grantId: string;
  username: string;
  appName: string;
  state: string;
  createdAt: Date;
  expiresAt: Date;
  period: string;
  scopes: OperatorGrantScopeView[];
};

export type OperatorGrantsView = OperatorFrame & { grants: OperatorGrantView[]; all: boolean };

/** /operator/grants: every live grant (with ?all=1, ended ones too) and its usage against each cap, as `mandate usage` says it. */
export function renderOperatorGrants(view: OperatorGrantsView): string {
  const rows = view.grants.flatMap((g) =>
    g.scopes.map(
      (s, i) => html`<tr>
${
  i === 0 &&
  html`<th scope="rowgroup" rowspan="${g.scopes.length}">${g.appName}<br>for ${g.username}<br><code class="scope-token">${g.grantId}</code></th>
<td rowspan="${g.scopes.length}">${g.state}<br>${utcTime(g.createdAt)} to ${utcTime(g.expiresAt)}</td>
<td rowspan="${g.scopes.length}">${g.period}</td>`
}
<td>${s.scope}</td>
<td>${s.requests}</td>
<td>${s.tokens}</td>
<td>${s.spend}</td>
</tr>`,
    ),
  );
  const toggle = view.all
    ? html`<a href="/operator/grants">Show live grants only</a>`
    : html`<a href="/operator/grants?all=1">Show revoked and expired grants too</a>`;
  const caption = `${view.all ? 'Every grant' : 'Live grants'}, newest first; a row for all providers together, then one per provider`;
  const body = html`<h1>Grants</h1>
<p class="lede">${view.all ? 'Every grant' : 'Live grants'} across this Mandate, newest first, with usage this period against each cap: the figures of <code>mandate usage</code>.</p>
<p>${toggle}</p>
${
  view.grants.length === 0
    ? html`<p class="empty">${view.all ? 'No grants yet.' : 'No live grants.'}</p>`
    : tableScroll(
        caption,
        html`<table class="figures">
<caption class="visually-hidden">${caption}</caption>
<thead><tr><th scope="col">Grant</th><th scope="col">State</th><th scope="col">Period</th><th scope="col">Scope</th><th scope="col">Requests</th><th scope="col">Tokens</th><th scope="col">Spending</th></tr></thead>
<tbody>${rows}</tbody>
</table>`,
      )
}`;
  return operatorLayout(view, { title: 'Grants', section: '/operator/grants', body });
}
