import { html, type SafeHtml } from './html.ts';
import { utcTime } from './utc-time.ts';

export type AuditEventView = { at: Date; title: string; text: string };

/** A grant's events, newest first, as the database holds them: appended to, never changed. */
export function auditTrail(events: readonly AuditEventView[]): SafeHtml {
  if (events.length === 0) return html`<p class="empty">No events recorded.</p>`;
  const items = events.map(
    (e) => html`<li><p><strong>${e.title}</strong> · ${utcTime(e.at)}</p><p>${e.text}</p></li>`,
  );
  return html`<ol class="audit-trail" reversed>${items}</ol>`;
}
