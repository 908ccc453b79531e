import type { GrantCaps } from '../../usage/grant-usage.ts';
import { notice } from './alerts.ts';
import { html, type SafeHtml } from './html.ts';
import { layout } from './layout.ts';
import { usageCaps } from './usage-caps.ts';
import { utcTime } from './utc-time.ts';

export type ConnectedAppView = {
  grantId: string;
  clientName: string;
  scopes: Array<{ value: string; text: string }>;
  grantedAt: Date;
  expiresAt: Date;
  /** The grant's limits in words; with `usage`, shown under the scopes. */
  limitsText?: string;
  /** Usage so far against each cap; the app's name then links to its page (/account/apps/<grantId>). */
  usage?: GrantCaps;
};

export type AccountView = {
  csrfToken: string;
  username: string;
  apps: ConnectedAppView[];
  notice?: string;
  /** The person is an operator: the page links to the operator's pages. */
  operator?: boolean;
};

/** The page of one connected app. */
export const appPath = (grantId: string): string => `/account/apps/${encodeURIComponent(grantId)}`;

function connectedApp(app: ConnectedAppView, index: number): SafeHtml {
  const headingId = `app-${index}`;
  const scopes = app.scopes.map((s) => html`<li>${s.text} <code class="scope-token">${s.value}</code></li>`);
  return html`<li>
<article class="card" aria-labelledby="${headingId}">
<h2 id="${headingId}">${app.usage ? html`<a href="${appPath(app.grantId)}">${app.clientName}</a>` : app.clientName}</h2>
<dl class="dates">
<div><dt>Allowed</dt><dd>${utcTime(app.grantedAt)}</dd></div>
<div><dt>Expires</dt><dd>${utcTime(app.expiresAt)}</dd></div>
</dl>
<h3>Can use</h3>
${scopes.length > 0 ? html`<ul class="scope-list">${scopes}</ul>` : html`<p>No AI provider access.</p>`}
${
  app.usage &&
  html`<h3>Limits and usage</h3>
${app.limitsText && html`<p>Limits: ${app.limitsText}.</p>`}
${usageCaps(app.usage, `${headingId}-usage`, 4, app.clientName)}
<p class="hint">Open ${app.clientName} above for the last 30 days, recent requests, history, and to lower its limits.</p>`
}
<p><a class="button button-danger" href="/account/grants/${encodeURIComponent(app.grantId)}/revoke">Revoke<span class="visually-hidden"> ${app.clientName}</span></a></p>
</article>
</li>`;
}

/** Connected apps page. Each app's Revoke leads to its confirmation page, GET /account/grants/<grantId>/revoke. */
export function renderAccount({
  csrfToken,
  username,
  apps,
  notice: message,
  operator = false,
}: AccountView): string {
  const list =
    apps.length === 0
      ? html`<p class="empty">No apps can use your AI accounts. When you allow an app, it appears here and you can revoke it at any time.</p>`
      : html`<ul class="app-list">${apps.map((app, i) => connectedApp(app, i))}</ul>`;
  const body = html`<h1>Connected apps</h1>
${message && notice(message)}
<p class="lede">These apps can use your AI accounts. Revoking an app cuts off its access at once.</p>
${list}
${operator && html`<p class="hint">You run this Mandate: <a href="/operator/apps">the operator's pages</a> show every app, person, grant and the audit trail.</p>`}`;
  return layout({
    title: 'Connected apps',
    body,
    signedInAs: username,
    csrfToken,
    current: '/account',
    operator,
  });
}
