import { errorAlert } from './alerts.ts';
import { csrfField } from './csrf-field.ts';
import { html, raw, type SafeHtml } from './html.ts';

/** One limit field: `value` pre-filled with the current limit (dollars for spending), `max` the current limit. */
export type LowerLimitFieldView = {
  name: string;
  label: string;
  value: string;
  max?: string;
  /** `1` for counts, `any` for dollars. */
  step: string;
  hint: string;
};

/** One provider's own caps: a fieldset of its own. */
export type LowerLimitGroupView = {
  /** "OpenAI". */
  provider: string;
  fields: LowerLimitFieldView[];
};

export type LowerLimitsView = {
  action: string;
  /** The whole grant's caps (every provider's requests together). */
  fields: LowerLimitFieldView[];
  /** Each provider's own caps. */
  providers?: LowerLimitGroupView[];
  period: 'lifetime' | 'month';
  error?: { message: string; field?: string };
};

const ERROR_ID = 'limits-error';

/** Where the error summary links for the form's error: its field, else the form. */
export const lowerLimitsErrorTarget = (error: { field?: string }): string =>
  error.field === undefined ? 'lower-limits' : `lower-${error.field}`;

/**
 * The form that lowers a live grant's limits (never raises them): POSTs `csrf` and one
 * field per limit, in a fieldset for the whole grant and one per provider.
 */
export function lowerLimitsForm(view: LowerLimitsView, csrfToken: string): SafeHtml {
  const fieldsOf = (group: readonly LowerLimitFieldView[]) =>
    group.map((f) => {
      const id = `lower-${f.name}`;
      const invalid = view.error?.field === f.name;
      const describedBy = `${id}-hint${invalid ? ` ${ERROR_ID}` : ''}`;
      return html`<div class="field">
<label for="${id}">${f.label}</label>
<input type="number" id="${id}" name="${f.name}" inputmode="${f.step === '1' ? 'numeric' : 'decimal'}" min="${f.step === '1' ? '1' : '0.000001'}" step="${f.step}"${f.max === undefined ? '' : html` max="${f.max}"`} value="${f.value}" aria-describedby="${describedBy}"${invalid ? raw(' aria-invalid="true"') : ''}>
<p class="hint" id="${id}-hint">${f.hint}</p>
</div>`;
    });
  const providers = (view.providers ?? []).map(
    (g) => html`<fieldset class="limit-group">
<legend>${g.provider} requests only</legend>
${fieldsOf(g.fields)}
</fieldset>`,
  );
  const period =
    view.period === 'month'
      ? 'Requests, tokens and spending count per calendar month (UTC).'
      : 'Requests, tokens and spending count over the whole time access lasts.';
  return html`<form class="stack" id="lower-limits" method="post" action="${view.action}">
${csrfField(csrfToken)}
${view.error && errorAlert(ERROR_ID, view.error.message)}
<fieldset class="limit-group" aria-describedby="lower-limits-hint">
<legend>${providers.length > 0 ? 'New limits for all providers together' : 'New limits'}</legend>
<p class="hint" id="lower-limits-hint">You can lower a limit or add one where there is none; what the app used so far in this period already counts under it, and so does its next request. To allow more, the app has to ask you again. ${period}</p>
${fieldsOf(view.fields)}
</fieldset>
${providers}
<div class="actions">
<button type="submit" class="button button-primary">Lower limits</button>
</div>
</form>`;
}
