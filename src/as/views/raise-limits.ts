import type { ClientLabelView } from './consent.ts';
import { csrfField } from './csrf-field.ts';
import { errorSummary } from './error-summary.ts';
import { html } from './html.ts';
import { layout } from './layout.ts';

/** One limit the app asks to raise, in words and as a number field. */
export type RaiseFieldView = {
  /** Form field name (`limit-openai-max_requests`). */
  name: string;
  /** "OpenAI: most requests". */
  label: string;
  /** "2 requests", "$5.00". */
  now: string;
  /** What the grant has used of it in this period, in words ("2 requests"); none for a rate. */
  used?: string;
  /** The most the person may allow, in words. */
  most: string;
  /** The field's first value (what the app asked, within the server's maximum) or what was typed. */
  value: string;
  /** The field's own bounds, in the form's units (dollars for spending). */
  min: string;
  max: string;
  step: string;
  /** "The whole grant's limit rises by as much", when it does. */
  note?: string;
};

export type RaiseLimitsView = {
  action: string;
  csrfToken: string;
  client: ClientLabelView;
  account: string;
  /** What the grant allows, unchanged by a raise (permission sentences). */
  permissions: string[];
  /** "Until 2026-12-31 17:05 UTC". */
  until: string;
  /** "over the whole time access lasts", or "per calendar month (this one resets …)". */
  period: string;
  fields: RaiseFieldView[];
  error?: { message: string; field?: string };
};

/**
 * The page of a raise request: an app the person already allowed asks for more of a
 * limit of that same access. What was used stays counted; only the limits shown change,
 * and only to what the person sets here (at most what the app asked). One form posts
 * `csrf`, one number per limit, and `decision` = `allow` | `deny`.
 */
export function renderRaiseLimits(view: RaiseLimitsView): string {
  const { client, error } = view;
  const fieldIdOf = (name: string) => `raise-${name}`;
  const fields = view.fields.map(
    (f) => html`<div class="field">
<label for="${fieldIdOf(f.name)}">${f.label}</label>
<input type="number" id="${fieldIdOf(f.name)}" name="${f.name}" inputmode="${f.step === '1' ? 'numeric' : 'decimal'}" min="${f.min}" max="${f.max}" step="${f.step}" required value="${f.value}" aria-describedby="${fieldIdOf(f.name)}-hint">
<p class="hint" id="${fieldIdOf(f.name)}-hint">Now ${f.now}${f.used === undefined ? '' : `, of which ${f.used} used`}. ${client.name} asks for up to ${f.most}.${f.note ? ` ${f.note}` : ''}</p>
</div>`,
  );
  const body = html`<h1>${client.name} asks for higher limits</h1>
<p class="lede">You are signed in as <strong>${view.account}</strong>. After you choose, you will be sent back to <strong>${client.redirectHost}</strong>.</p>
${error && errorSummary([{ message: error.message, ...(error.field ? { fieldId: fieldIdOf(error.field) } : {}) }])}
<section aria-labelledby="raise-current-title">
<h2 id="raise-current-title">The access you gave it</h2>
<ul>${view.permissions.map((p) => html`<li>${p}</li>`)}</ul>
<p>${view.until}. Limits count ${view.period}; what it has used so far stays counted.</p>
</section>
<form class="stack" method="post" action="${view.action}">
${csrfField(view.csrfToken)}
<h2>New limits</h2>
<p class="hint">Only these limits change, and only up to what you set. Nothing else about this access changes.</p>
${fields}
<div class="actions">
<button type="submit" name="decision" value="allow" class="button button-primary">Raise limits</button>
<button type="submit" name="decision" value="deny" class="button button-danger">Keep limits as they are</button>
</div>
</form>`;
  return layout({ title: `Raise limits for ${client.name}?`, body });
}
