import { html } from '../html.ts';
import { utcTime } from '../utc-time.ts';
import { type OperatorFrame, operatorLayout } from './operator-layout.ts';

export type OperatorEventView = {
  at: Date;
  title: string;
  text: string;
  username: string;
  appName: string;
  grantId: string;
};

export type OperatorAuditView = OperatorFrame & {
  events: OperatorEventView[];
  /** Where the next (older) page starts, if there is one. */
  olderHref?: string;
  /** This page does not start at the newest event. */
  newestHref?: string;
};

/** /operator/audit: the grants' events across the install, newest first, a page at a time. */
export function renderOperatorAudit(view: OperatorAuditView): string {
  const items = view.events.map(
    (e) =>
      html`<li><p><strong>${e.title}</strong> · ${utcTime(e.at)} · ${e.appName} for ${e.username} · <code class="scope-token">${e.grantId}</code></p><p>${e.text}</p></li>`,
  );
  const pager =
    (view.olderHref || view.newestHref) &&
    html`<nav class="pager" aria-label="Audit trail pages"><ul>
${view.newestHref && html`<li><a href="${view.newestHref}">Newest events</a></li>`}
${view.olderHref && html`<li><a href="${view.olderHref}">Older events</a></li>`}
</ul></nav>`;
  const body = html`<h1>Audit trail</h1>
<p class="lede">What happened to every grant, newest first: approvals, lowered limits, revocations, expiries, caps reached. The trail is append-only.</p>
${view.events.length === 0 ? html`<p class="empty">No events recorded.</p>` : html`<ol class="audit-trail">${items}</ol>`}
${pager}`;
  return operatorLayout(view, { title: 'Audit trail', section: '/operator/audit', body });
}
