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

export type LowerLimitsView = {
  action: string;
  fields: LowerLimitFieldView[];
  period: 'lifetime' | 'month';
  error?: { message: string; field?: string };
};

const ERROR_ID = 'limits-error';

/** The form that lowers a live grant's limits (never raises them): POSTs `csrf` and one field per limit. */
export function lowerLimitsForm(view: LowerLimitsView, csrfToken: string): SafeHtml {
  const fields = view.fields.map((f) => {
    const id = `lower-${f.name}`;
    const invalid = view.error?.field === f.name;
    const describedBy = `${id}-hint${invalid ? ` ${ERROR_ID}` : ''}`;
    return html`<div class="field">
<label for="${id}">${f.label}</label>
<input type="number" id="${id}" name="${f.name}" inputmode="${f.step === '1' ? 'numeric' : 'decimal'}" min="${f.step === '1' ? '1' : '0.000001'}" step="${f.step}"${f.max === undefined ? '' : html` max="${f.max}"`} value="${f.value}" aria-describedby="${describedBy}"${invalid ? raw(' aria-invalid="true"') : ''}>
<p class="hint" id="${id}-hint">${f.hint}</p>
</div>`;
  });
  const period =
    view.period === 'month'
      ? 'Requests, tokens and spending count per calendar month (UTC).'
      : 'Requests, tokens and spending count over the whole time access lasts.';
  return html`<form class="stack" method="post" action="${view.action}">
${csrfField(csrfToken)}
${view.error && errorAlert(ERROR_ID, view.error.message)}
<fieldset class="limit-group" aria-describedby="lower-limits-hint">
<legend>New limits</legend>
<p class="hint" id="lower-limits-hint">You can lower a limit or add one where there is none; the app's next request already counts under it. To allow more, the app has to ask you again. ${period}</p>
${fields}
</fieldset>
<div class="actions">
<button type="submit" class="button button-primary">Lower limits</button>
</div>
</form>`;
}
