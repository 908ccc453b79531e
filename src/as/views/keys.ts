import { errorAlert, notice } from './alerts.ts';
import { csrfField } from './csrf-field.ts';
import { errorSummary } from './error-summary.ts';
import { html, raw, type SafeHtml } from './html.ts';
import { layout } from './layout.ts';
import { utcTime } from './utc-time.ts';

export type ProviderKeyRowView = {
  /** Provider id, used in form URLs and element ids (`openai`). */
  provider: string;
  /** Display name (`OpenAI`). */
  name: string;
  /** How the provider's keys start, for the hint (`sk-`). */
  prefix: string;
  /** The stored key, if any: only its last four characters. */
  stored?: { last4: string; updatedAt: Date };
  /** The operator configured a key for this provider on this server. */
  operatorKey: boolean;
  /** Why the key just typed was refused (never quoting it). */
  error?: string;
};

export type ProviderKeysView = {
  csrfToken: string;
  username: string;
  providers: ProviderKeyRowView[];
  /** False when this server has no proxy public key: keys can be deleted but not added. */
  canStore: boolean;
  notice?: string;
};

/** Element ids from the provider id: only characters that keep an id one token. */
const idFor = (row: ProviderKeyRowView) => `key-${row.provider.replace(/[^A-Za-z0-9_-]/g, '-')}`;

function keyForm(row: ProviderKeyRowView, csrfToken: string): SafeHtml {
  const id = idFor(row);
  const describedBy = `${id}-hint${row.error ? ` ${id}-error` : ''}`;
  return html`<form class="stack" method="post" action="/account/keys/${encodeURIComponent(row.provider)}">
${csrfField(csrfToken)}
<div class="field">
<label for="${id}">${row.stored ? 'Replace with a new' : 'Your'} ${row.name} API key</label>
<input id="${id}" name="key" type="password" autocomplete="off" autocapitalize="none" spellcheck="false" required aria-describedby="${describedBy}"${row.error ? raw(' aria-invalid="true"') : ''}>
<p class="hint" id="${id}-hint">Starts with <code>${row.prefix}</code>. After you save it, Mandate shows only its last four characters.</p>
</div>
<div class="actions">
<button type="submit" class="button button-primary">${row.stored ? 'Replace key' : 'Save key'}<span class="visually-hidden"> for ${row.name}</span></button>
</div>
</form>`;
}

/** Leads to the confirmation page (GET /account/keys/<provider>/delete), whose form deletes. */
function deleteLink(row: ProviderKeyRowView): SafeHtml {
  return html`<p class="key-delete"><a class="button button-danger" href="/account/keys/${encodeURIComponent(row.provider)}/delete">Delete key<span class="visually-hidden"> for ${row.name}</span></a></p>`;
}

function providerCard(row: ProviderKeyRowView, csrfToken: string, canStore: boolean): SafeHtml {
  const id = idFor(row);
  const status = row.stored
    ? html`<p>Stored key ending in <code class="key-last4">…${row.stored.last4}</code>, updated ${utcTime(row.stored.updatedAt)}.</p>`
    : html`<p>No key stored.</p>`;
  return html`<li>
<article class="card" aria-labelledby="${id}-title">
<h2 id="${id}-title">${row.name}</h2>
${status}
${row.operatorKey && html`<p class="hint">The operator of this server has also set up a key for ${row.name}.</p>`}
${row.error && errorAlert(`${id}-error`, row.error)}
${canStore && keyForm(row, csrfToken)}
${row.stored && deleteLink(row)}
</article>
</li>`;
}

/**
 * Provider keys page. Each provider has a form posting `csrf` and `key` to
 * /account/keys/<provider> (add or replace) and, when a key is stored, one posting
 * `csrf` to /account/keys/<provider>/delete. A key is never rendered back: only its
 * last four characters.
 */
export function renderProviderKeys({
  csrfToken,
  username,
  providers,
  canStore,
  notice: message,
}: ProviderKeysView): string {
  const errors = providers.flatMap((row) =>
    row.error ? [{ message: row.error, fieldId: canStore ? idFor(row) : `${idFor(row)}-error` }] : [],
  );
  const body = html`<h1>Provider keys</h1>
${errorSummary(errors)}
${message && notice(message)}
<p class="lede">Apps you allow use these keys through Mandate and never see them. Each key is stored encrypted so that only Mandate's proxy can read it; these pages show only its last four characters.</p>
${!canStore && html`<div class="alert alert-warning"><p>This server cannot store new keys yet: its operator has not set up the proxy's encryption key.</p></div>`}
<ul class="app-list">${providers.map((row) => providerCard(row, csrfToken, canStore))}</ul>`;
  return layout({ title: 'Provider keys', body, signedInAs: username, csrfToken, current: '/account/keys' });
}
