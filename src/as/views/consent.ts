import { formatCount, formatDollars } from '../../usage/format-usage.ts';
import { csrfField } from './csrf-field.ts';
import { type CurrentAccessView, currentAccessSection, REPLACE_WARNING_ID } from './current-access.ts';
import { errorSummary } from './error-summary.ts';
import { html, raw, type SafeHtml } from './html.ts';
import { layout } from './layout.ts';

/** `kept`: the person already allowed this app this scope (step-up); still ticked, still untickable. */
export type ScopeView = { value: string; text: string; kept?: boolean };
export type ScopeGroupView = { provider: string; scopes: ScopeView[] };
export type DurationView = { seconds: number; label: string; selected: boolean };
/**
 * One limit input: `asked` is the app's value, `most` the operator's maximum; the person
 * may allow at most the lower of the two. `value` is what the form shows.
 */
export type LimitInputView = {
  name: string;
  label: string;
  asked?: number;
  most?: number;
  value?: string;
  /** Step of the number input: `1` for counts, `0.01` for dollars. */
  step: string;
};
export type LimitGroupView = { provider: string; limits: LimitInputView[] };
export type LimitsView = {
  groups: LimitGroupView[];
  period: 'lifetime' | 'month';
  monthAllowed: boolean;
};

/**
 * Who asks. `unreviewed`: an app the operator never registered, known only by what it
 * says: registered by itself (`registration`), or by its metadata document at `domain`.
 */
export type ClientLabelView = {
  name: string;
  redirectHost: string;
  unreviewed?: { via: 'registration' | 'metadata_document'; domain?: string | undefined };
};

export type ConsentView = {
  /** Where the form posts (the interaction's confirm URL). */
  action: string;
  csrfToken: string;
  client: ClientLabelView;
  /** Username of the signed-in person. */
  account: string;
  /** Requested scopes, grouped by provider display name. */
  groups: ScopeGroupView[];
  durations: DurationView[];
  /** Display names of requested providers with no key (none stored, none from the operator): Allow refuses them. */
  missingKeys?: string[];
  /** Limits, when the app asked for them with authorization_details. */
  limits?: LimitsView;
  /** The operator's maximums in words ("1,000 requests, $20.00, 60 requests per minute"), when set. */
  maximums?: string;
  /** Without details: the limits the grant gets from the operator's maximums, in words. */
  grantLimits?: string;
  /** The app's current access, when the person already allowed it: Allow replaces it. */
  currentAccess?: CurrentAccessView;
  error?: string;
  /** The form field `error` is about (`scope`, `duration`, `period`, a limit's name); the summary links to it. */
  errorField?: string;
  /** `error` is Allow refused for providers without a key: it replaces the no-key warning (one banner, not two). */
  errorIsMissingKeys?: boolean;
};

const errorId = 'consent-error';
/** The error summary's id: the fields an error is about point at it. */
const summaryId = 'error-summary';

const optional = (fieldId: string | undefined) => (fieldId === undefined ? {} : { fieldId });

/** The id of the input for form field `field` (the first checkbox for `scope`). */
function fieldIdOf(view: ConsentView, field: string | undefined): string | undefined {
  if (field === 'duration' || field === 'period') return field;
  if (field === 'scope') return view.groups.some((g) => g.scopes.length > 0) ? 'scope-0-0' : undefined;
  const groups = view.limits?.groups ?? [];
  for (const [i, g] of groups.entries()) {
    const j = g.limits.findIndex((l) => l.name === field);
    if (j >= 0) return `limit-${i}-${j}`;
  }
  return undefined;
}

function missingKeysWarning(providers: string[], refusal: string | undefined): SafeHtml {
  if (refusal !== undefined)
    return html`<div class="alert alert-error" id="${errorId}" role="alert">
<p><strong>${refusal}</strong> Your <a href="/account/keys">Provider keys</a> page takes a key.</p>
</div>`;
  return html`<div class="alert alert-warning" id="missing-keys">
<p><strong>No key stored for ${providers.join(', ')}.</strong>
You cannot allow access to ${providers.length === 1 ? 'that provider' : 'those providers'} until you add a key on your <a href="/account/keys">Provider keys</a> page (then reload this page), or untick ${providers.length === 1 ? 'its' : 'their'} permissions.</p>
</div>`;
}

/**
 * The plain label of an app nobody reviewed. Only text: nothing of the app's (no logo,
 * no link to its site) is loaded into or linked from the page.
 */
function unreviewedNotice(client: ClientLabelView): SafeHtml | false {
  const u = client.unreviewed;
  if (!u) return false;
  const who =
    u.via === 'metadata_document' && u.domain
      ? html`This app identifies itself as <strong>${u.domain}</strong>: its details are published there, and its name is what that site says.`
      : html`This app registered itself with this server: its name is what the app says about itself.`;
  const elsewhere =
    u.domain && client.redirectHost && client.redirectHost !== u.domain
      ? html` It sends you back to <strong>${client.redirectHost}</strong>, which is not ${u.domain}.`
      : '';
  return html`<div class="alert alert-warning" id="unreviewed">
<p><strong>Not reviewed by this server's operator.</strong> ${who}${elsewhere} Allow it only if you trust where you came from.</p>
</div>`;
}

function scopeGroup(group: ScopeGroupView, index: number, noKey: boolean, describedBy: string): SafeHtml {
  const items = group.scopes.map((scope, i) => {
    const id = `scope-${index}-${i}`;
    return html`<li>
<input type="checkbox" id="${id}" name="scope" value="${scope.value}" checked aria-describedby="${id}-token">
<label for="${id}">${scope.text}${scope.kept === true && html` <span class="badge">already allowed</span>`}</label>
<code class="scope-token" id="${id}-token">${scope.value}</code>
</li>`;
  });
  return html`<fieldset class="scope-group" aria-describedby="${describedBy}">
<legend>${group.provider}${noKey && html` <span class="badge badge-warning">no key stored</span>`}</legend>
<ul class="checklist">${items}</ul>
</fieldset>`;
}

function limitGroup(group: LimitGroupView, index: number): SafeHtml {
  const fields = group.limits.map((limit, i) => {
    const id = `limit-${index}-${i}`;
    const { asked, most } = limit;
    const bound = asked === undefined ? most : most === undefined ? asked : Math.min(asked, most);
    // Dollars for spending (step 0.01), counts otherwise, as every page says them.
    const say = (n: number | undefined) =>
      n === undefined ? '' : limit.step === '1' ? formatCount(n) : formatDollars(n);
    let hint: string;
    if (bound === undefined) hint = 'The app asked for no limit here. Leave empty for none, or set one.';
    else if (asked === undefined)
      hint = `The app asked for no limit here; this server allows at most ${say(most)}. You can lower it.`;
    else if (bound === asked)
      hint = `The app asked for at most ${say(asked)}. You can lower it, not raise it.`;
    else
      hint = `The app asked for at most ${say(asked)}; this server allows at most ${say(most)}. You can lower it, not raise it.`;
    return html`<div class="field">
<label for="${id}">${limit.label}</label>
<input type="number" id="${id}" name="${limit.name}" inputmode="${limit.step === '1' ? 'numeric' : 'decimal'}" min="${limit.step}" step="${limit.step}"${bound === undefined ? '' : html` max="${bound}" required`} value="${limit.value ?? ''}" aria-describedby="${id}-hint">
<p class="hint" id="${id}-hint">${hint}</p>
</div>`;
  });
  return html`<fieldset class="limit-group">
<legend>Limits for ${group.provider}</legend>
${fields}
</fieldset>`;
}

/** `unreviewed`: the maximums are those for apps the operator did not register (tighter, perhaps). */
function maximumsNote(maximums: string | undefined, unreviewed = false): SafeHtml | false {
  return (
    maximums !== undefined &&
    html`<p class="hint" id="maximums-hint">This server allows no app${unreviewed ? ' its operator has not reviewed' : ''} more than ${maximums}, for all providers together.</p>`
  );
}

function limitsSection(limits: LimitsView, maximums: string | undefined, unreviewed: boolean): SafeHtml {
  const periodOptions = [
    html`<option value="lifetime"${limits.period === 'lifetime' ? raw(' selected') : ''}>For as long as access lasts</option>`,
    limits.monthAllowed
      ? html`<option value="month"${limits.period === 'month' ? raw(' selected') : ''}>Each calendar month</option>`
      : '',
  ];
  return html`<h2>Limits</h2>
<p class="hint" id="limits-hint">Mandate stops the app when it reaches a limit. You can lower what the app asked for, or add a limit it did not ask for.</p>
${maximumsNote(maximums, unreviewed)}
${limits.groups.map(limitGroup)}
<div class="field">
<label for="period">Count requests, tokens and spending</label>
<select id="period" name="period" aria-describedby="limits-hint${maximums === undefined ? '' : ' maximums-hint'}">${periodOptions}</select>
</div>`;
}

/** Without details the grant still gets the operator's maximums: said, not asked. */
function grantLimitsSection(
  grantLimits: string,
  maximums: string | undefined,
  unreviewed: boolean,
): SafeHtml {
  return html`<h2>Limits</h2>
${maximumsNote(maximums, unreviewed)}
<p>So this app's limits are <strong>${grantLimits}</strong>; Mandate stops the app when it reaches one. You can lower them later on the app's page under Connected apps.</p>`;
}

function durationOptions(durations: DurationView[]): SafeHtml[] {
  const selectedIndex = durations.findIndex((d) => d.selected);
  return durations.map(
    (d, i) =>
      html`<option value="${d.seconds}"${i === selectedIndex ? raw(' selected') : ''}>${d.label}</option>`,
  );
}

/** A limit field's first-shown value in words: "1,000 requests", "$5.00", or "no limit" when empty. */
function limitInWords(limit: LimitInputView, unit: string): string {
  const v = limit.value ?? '';
  if (v.trim() === '') return `no limit on ${unit}`;
  const n = Number(v);
  if (!Number.isFinite(n)) return `${v} ${unit}`;
  if (limit.step !== '1') return `at most ${formatDollars(n)} spending`;
  return `at most ${formatCount(n)} ${unit}`;
}

const LIMIT_UNITS: Readonly<Record<string, string>> = {
  max_requests: 'requests',
  max_tokens: 'tokens',
  max_spend_usd: 'spending',
  requests_per_minute: 'requests per minute',
};

/**
 * What Allow grants, as the form below first shows it, in one short list: per provider
 * the permissions (in the checkboxes' words), then for how long and within what limits.
 */
function allowSummary(view: ConsentView): SafeHtml | false {
  const groups = view.groups.filter((g) => g.scopes.length > 0);
  if (groups.length === 0) return false;
  const duration = view.durations.find((d) => d.selected) ?? view.durations[0];
  const limitGroups = view.limits?.groups ?? [];
  const period = view.limits?.period === 'month' ? 'each calendar month' : 'in total';
  const items = groups.map((g) => {
    const own = limitGroups.find((l) => l.provider === g.provider);
    const words = own
      ? `${own.limits.map((l) => limitInWords(l, LIMIT_UNITS[l.name.slice(l.name.lastIndexOf('-') + 1)] ?? l.label)).join(', ')} (${period})`
      : (view.grantLimits ?? 'no limits');
    return html`<li><strong>${g.provider}:</strong> ${g.scopes.map((s) => s.text).join('; ')}. Limits: ${words}.</li>`;
  });
  return html`<section class="allow-summary" id="allow-summary" aria-labelledby="allow-summary-title">
<h2 id="allow-summary-title">If you allow, ${view.client.name} may</h2>
<ul>${items}</ul>
${duration && html`<p>For <strong>${duration.label}</strong>, unless you revoke it sooner. You can change all of this below.</p>`}
</section>`;
}

/**
 * Consent page. One form posts `csrf`, the ticked `scope` values, `duration` (seconds),
 * when limits were asked for (or the operator caps them) one number field per limit and
 * `period`, one `replaces` per current grant the page showed, and `decision` = `allow`
 * | `deny` (from the button pressed).
 */
export function renderConsent(view: ConsentView): string {
  const { action, csrfToken, client, account, groups, durations, error } = view;
  const missing = view.missingKeys ?? [];
  // The no-key refusal keeps its own banner (with its link to Provider keys); any other error is summarised.
  const errorRef = view.errorIsMissingKeys && missing.length > 0 ? errorId : summaryId;
  const describedBy = error ? `scope-hint ${errorRef}` : 'scope-hint';
  const fieldsets = groups
    .filter((g) => g.scopes.length > 0)
    .map((g, i) => scopeGroup(g, i, missing.includes(g.provider), describedBy));
  const current = view.currentAccess;
  const warned = current ? html` aria-describedby="${REPLACE_WARNING_ID}"` : '';
  const domain = client.unreviewed?.domain;
  const body = html`<h1>${client.name}${domain && html` <span class="badge">${domain}</span>`} wants to use your AI accounts</h1>
<p class="lede">You are signed in as <strong>${account}</strong>. After you choose, you will be sent back to <strong>${client.redirectHost}</strong>.</p>
${unreviewedNotice(client)}
${allowSummary(view)}
${
  error &&
  !(view.errorIsMissingKeys && missing.length > 0) &&
  errorSummary([{ message: error, ...optional(fieldIdOf(view, view.errorField)) }])
}
${missing.length > 0 && missingKeysWarning(missing, view.errorIsMissingKeys ? error : undefined)}
${current && currentAccessSection(client.name, current)}
<form class="stack" method="post" action="${action}">
${csrfField(csrfToken)}
${current?.current.map((g) => html`<input type="hidden" name="replaces" value="${g.id}">`)}
<h2>What ${client.name} asks for</h2>
<p class="hint" id="scope-hint">${client.name} never sees your API keys. Untick anything you do not want to allow: you can narrow what the app asked for, never widen it.</p>
${fieldsets.length > 0 ? fieldsets : html`<p>This app did not ask for access to any AI provider.</p>`}
${
  view.limits && view.limits.groups.length > 0
    ? limitsSection(view.limits, view.maximums, client.unreviewed !== undefined)
    : view.grantLimits !== undefined &&
      grantLimitsSection(view.grantLimits, view.maximums, client.unreviewed !== undefined)
}
<div class="field">
<label for="duration">Allow access for</label>
<select id="duration" name="duration" aria-describedby="duration-hint${error ? ` ${errorRef}` : ''}">${durationOptions(durations)}</select>
<p class="hint" id="duration-hint">You can revoke access at any time from your Connected apps page.</p>
</div>
<div class="actions">
<button type="submit" name="decision" value="allow" class="button button-primary"${warned}>${current ? 'Allow and replace current access' : 'Allow'}</button>
<button type="submit" name="decision" value="deny" class="button button-danger"${warned}>${current ? 'Deny and keep current access' : 'Deny'}</button>
</div>
</form>`;
  // No account navigation here: the page stays on the one decision the app is waiting for.
  return layout({ title: `Allow ${client.name}?`, body });
}
