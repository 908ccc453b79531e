import { html, type SafeHtml } from './html.ts';
import { tableScroll } from './table-scroll.ts';
import { utcTime } from './utc-time.ts';

/** One grant's terms in words: its scopes, its limits (one line each), until when. */
export type TermsView = {
  scopes: Array<{ value: string; text: string }>;
  limits: string[];
  /** The grant's expiry; none for what is asked now (the person chooses it below). */
  until?: Date;
};

/** A live grant of this person to this app, which allowing replaces. */
export type CurrentGrantView = { id: string; allowedAt: Date; terms: TermsView };

/** What the app may use now, next to what it asks for this time. */
export type CurrentAccessView = { current: CurrentGrantView[]; asked: TermsView };

export const REPLACE_WARNING_ID = 'replace-warning';

function scopeCell(terms: TermsView): SafeHtml {
  if (terms.scopes.length === 0) return html`<td>No AI provider access.</td>`;
  const items = terms.scopes.map((s) => html`<li>${s.text} <code class="scope-token">${s.value}</code></li>`);
  return html`<td><ul class="terms-list">${items}</ul></td>`;
}

function limitsCell(terms: TermsView): SafeHtml {
  if (terms.limits.length === 1) return html`<td>${terms.limits[0]}</td>`;
  return html`<td><ul class="terms-list">${terms.limits.map((l) => html`<li>${l}</li>`)}</ul></td>`;
}

/**
 * The re-authorization notice of the consent page: the app already holds access, which
 * Allow replaces (it stops working) and Deny keeps; the current terms beside the new ask.
 */
export function currentAccessSection(clientName: string, view: CurrentAccessView): SafeHtml {
  const several = view.current.length > 1;
  const now = view.current.map(
    (g, i) =>
      html`<th scope="col">${several ? `Now (${i + 1} of ${view.current.length}), allowed ` : 'Now, allowed '}${utcTime(g.allowedAt)}</th>`,
  );
  const columns = [...view.current.map((g) => g.terms), view.asked];
  const caption = `What ${clientName} can use now, and what it asks for this time`;
  return html`<section aria-labelledby="current-access-heading">
<h2 id="current-access-heading">You already allowed ${clientName}</h2>
<div class="alert alert-warning" id="${REPLACE_WARNING_ID}">
<p><strong>Allow replaces the access ${clientName} has now.</strong> ${several ? 'The current grants stop' : 'The current access stops'} working at once, with every token the app holds for ${several ? 'them' : 'it'}; only what you allow on this page remains. What the app has now is offered again below, ticked: untick what it should lose. <strong>Deny</strong> keeps the current access as it is.</p>
</div>
${tableScroll(
  caption,
  html`<table class="figures terms">
<caption>${caption}</caption>
<thead><tr><th scope="col">Terms</th>${now}<th scope="col">Asked now</th></tr></thead>
<tbody>
<tr><th scope="row">Can use</th>${columns.map(scopeCell)}</tr>
<tr><th scope="row">Limits</th>${columns.map(limitsCell)}</tr>
<tr><th scope="row">Until</th>${columns.map((t) => html`<td>${t.until ? utcTime(t.until) : 'You choose below'}</td>`)}</tr>
</tbody>
</table>`,
)}
</section>`;
}
