import { html, type SafeHtml } from './html.ts';

/** One problem with a form: its message and, when it is about one field, that field's id. */
export type FormError = { message: string; fieldId?: string };

/**
 * The GOV.UK error summary, without script: at the top of the page, a heading and a
 * list linking each problem to its field (or to the form). `autofocus` with
 * `tabindex="-1"` moves focus onto it as the page loads, so a screen reader reads it
 * first and the person sees it without scrolling (no `role="alert"`, as GOV.UK: the
 * focus announces it, and each field's own message is the alert). A region named by its
 * heading: a plain <div> may not carry a name (ARIA prohibits it), a landmark does.
 */
export function errorSummary(errors: readonly FormError[]): SafeHtml | '' {
  if (errors.length === 0) return '';
  const items = errors.map((e) =>
    e.fieldId === undefined
      ? html`<li>${e.message}</li>`
      : html`<li><a href="#${e.fieldId}">${e.message}</a></li>`,
  );
  return html`<div class="error-summary" id="error-summary" role="region" aria-labelledby="error-summary-title" tabindex="-1" autofocus>
<h2 id="error-summary-title">There is a problem</h2>
<ul>${items}</ul>
</div>`;
}
