import { errorAlert } from './alerts.ts';
import { csrfField } from './csrf-field.ts';
import { html, raw, type SafeHtml } from './html.ts';
import { layout } from './layout.ts';

export type ScopeView = { value: string; text: string };
export type ScopeGroupView = { provider: string; scopes: ScopeView[] };
export type DurationView = { seconds: number; label: string; selected: boolean };

export type ConsentView = {
  /** Where the form posts (the interaction's confirm URL). */
  action: string;
  csrfToken: string;
  client: { name: string; redirectHost: string };
  /** Username of the signed-in person. */
  account: string;
  /** Requested scopes, grouped by provider display name. */
  groups: ScopeGroupView[];
  durations: DurationView[];
  /** Display names of requested providers with no key (none stored, none from the operator): Allow refuses them. */
  missingKeys?: string[];
  error?: string;
};

const errorId = 'consent-error';

function missingKeysWarning(providers: string[]): SafeHtml {
  return html`<div class="alert alert-warning" id="missing-keys">
<p><strong>No key stored for ${providers.join(', ')}.</strong>
You cannot allow access to ${providers.length === 1 ? 'that provider' : 'those providers'} until you add a key on your <a href="/account/keys">Provider keys</a> page (then reload this page), or untick ${providers.length === 1 ? 'its' : 'their'} permissions.</p>
</div>`;
}

function scopeGroup(group: ScopeGroupView, index: number, noKey: boolean, describedBy: string): SafeHtml {
  const items = group.scopes.map((scope, i) => {
    const id = `scope-${index}-${i}`;
    return html`<li>
<input type="checkbox" id="${id}" name="scope" value="${scope.value}" checked aria-describedby="${id}-token">
<label for="${id}">${scope.text}</label>
<code class="scope-token" id="${id}-token">${scope.value}</code>
</li>`;
  });
  return html`<fieldset class="scope-group" aria-describedby="${describedBy}">
<legend>${group.provider}${noKey && html` <span class="badge badge-warning">no key stored</span>`}</legend>
<ul class="checklist">${items}</ul>
</fieldset>`;
}

function durationOptions(durations: DurationView[]): SafeHtml[] {
  const selectedIndex = durations.findIndex((d) => d.selected);
  return durations.map(
    (d, i) =>
      html`<option value="${d.seconds}"${i === selectedIndex ? raw(' selected') : ''}>${d.label}</option>`,
  );
}

/**
 * Consent page. One form posts `csrf`, the ticked `scope` values, `duration` (seconds) and
 * `decision` = `allow` | `deny` (from the button pressed).
 */
export function renderConsent(view: ConsentView): string {
  const { action, csrfToken, client, account, groups, durations, error } = view;
  const missing = view.missingKeys ?? [];
  const describedBy = error ? `scope-hint ${errorId}` : 'scope-hint';
  const fieldsets = groups
    .filter((g) => g.scopes.length > 0)
    .map((g, i) => scopeGroup(g, i, missing.includes(g.provider), describedBy));
  const body = html`<h1>${client.name} wants to use your AI accounts</h1>
<p class="lede">You are signed in as <strong>${account}</strong>. After you choose, you will be sent back to <strong>${client.redirectHost}</strong>.</p>
${error && errorAlert(errorId, error)}
${missing.length > 0 && missingKeysWarning(missing)}
<form class="stack" method="post" action="${action}">
${csrfField(csrfToken)}
<h2>What ${client.name} asks for</h2>
<p class="hint" id="scope-hint">${client.name} never sees your API keys. Untick anything you do not want to allow: you can narrow what the app asked for, never widen it.</p>
${fieldsets.length > 0 ? fieldsets : html`<p>This app did not ask for access to any AI provider.</p>`}
<div class="field">
<label for="duration">Allow access for</label>
<select id="duration" name="duration" aria-describedby="duration-hint${error ? ` ${errorId}` : ''}">${durationOptions(durations)}</select>
<p class="hint" id="duration-hint">You can revoke access at any time from your Connected apps page.</p>
</div>
<div class="actions">
<button type="submit" name="decision" value="allow" class="button button-primary">Allow</button>
<button type="submit" name="decision" value="deny" class="button button-danger">Deny</button>
</div>
</form>`;
  // No account navigation here: the page stays on the one decision the app is waiting for.
  return layout({ title: `Allow ${client.name}?`, body });
}
