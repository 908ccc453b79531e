import { notice } from '../alerts.ts';
import { csrfField } from '../csrf-field.ts';
import { html } from '../html.ts';
import { tableScroll } from '../table-scroll.ts';
import { utcTime } from '../utc-time.ts';
import { type OperatorFrame, operatorLayout } from './operator-layout.ts';

export type OperatorAppView = {
  clientId: string;
  name: string;
  /** "Registered by the operator", "Registered itself (RFC 7591)", "Metadata document". */
  kind: string;
  createdAt: Date | undefined;
  liveGrants: number;
  disabledAt: Date | undefined;
};

export type OperatorAppsView = OperatorFrame & { apps: OperatorAppView[]; notice?: string };

export const disablePath = (clientId: string) => `/operator/apps/${encodeURIComponent(clientId)}/disable`;
export const enablePath = (clientId: string) => `/operator/apps/${encodeURIComponent(clientId)}/enable`;

/** /operator/apps: every app, how it came to be, its live grants, and Disable (which asks to confirm) or Enable. */
export function renderOperatorApps(view: OperatorAppsView): string {
  const rows = view.apps.map(
    (a) => html`<tr>
<th scope="row">${a.name}<br><code class="scope-token">${a.clientId}</code></th>
<td>${a.kind}</td>
<td>${a.createdAt ? utcTime(a.createdAt) : 'not stored'}</td>
<td class="number">${a.liveGrants}</td>
<td>${a.disabledAt ? html`Disabled since ${utcTime(a.disabledAt)}` : 'Enabled'}</td>
<td>${
      a.disabledAt
        ? html`<form method="post" action="${enablePath(a.clientId)}">${csrfField(view.csrfToken)}<button type="submit" class="button button-secondary">Enable<span class="visually-hidden"> ${a.name}</span></button></form>`
        : html`<a class="button button-danger" href="${disablePath(a.clientId)}">Disable<span class="visually-hidden"> ${a.name}</span></a>`
    }</td>
</tr>`,
  );
  const table =
    view.apps.length === 0
      ? html`<p class="empty">No apps yet. Register one with <code>mandate client add</code>.</p>`
      : tableScroll(
          'Every app, oldest first',
          html`<table class="figures">
<caption class="visually-hidden">Every app, oldest first</caption>
<thead><tr><th scope="col">App</th><th scope="col">How it came</th><th scope="col">Added</th><th scope="col" class="number">Live grants</th><th scope="col">State</th><th scope="col">Action</th></tr></thead>
<tbody>${rows}</tbody>
</table>`,
        );
  const body = html`<h1>Apps</h1>
${view.notice && notice(view.notice)}
<p class="lede">Apps you registered, apps that registered themselves, and apps known by their metadata document that hold a grant. A disabled app cannot sign anyone in or get tokens.</p>
${table}`;
  return operatorLayout(view, { title: 'Apps', section: '/operator/apps', body });
}
