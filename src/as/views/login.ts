import { csrfField } from './csrf-field.ts';
import { errorSummary } from './error-summary.ts';
import { html, raw } from './html.ts';
import { layout } from './layout.ts';

export type LoginView = {
  /** Where the form posts (the interaction's login URL). */
  action: string;
  csrfToken: string;
  /** Re-filled after a failed attempt; the password never is. */
  username?: string;
  error?: string;
  /** Name of the app the person is signing in for, when there is one. */
  clientName?: string;
  /** Too many attempts: shown instead of `error`. */
  throttled?: boolean;
};

const throttledMessage = 'Too many sign-in attempts. Wait a minute, then try again.';

/** Sign-in page. Posts `csrf`, `username`, `password`. */
export function renderLogin({
  action,
  csrfToken,
  username,
  error,
  clientName,
  throttled,
}: LoginView): string {
  const message = throttled ? throttledMessage : error;
  const invalid = message ? raw(' aria-invalid="true" aria-describedby="error-summary"') : '';
  const body = html`<h1>Sign in</h1>
${clientName !== undefined && html`<p class="lede">Sign in to continue to <strong>${clientName}</strong>.</p>`}
${message && errorSummary([throttled ? { message } : { message, fieldId: 'username' }])}
<form class="stack" method="post" action="${action}">
${csrfField(csrfToken)}
<div class="field">
<label for="username">Username</label>
<input id="username" name="username" type="text" value="${username ?? ''}" autocomplete="username" autocapitalize="none" spellcheck="false" required${invalid}>
</div>
<div class="field">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${invalid}>
</div>
<div class="actions">
<button type="submit" class="button button-primary">Sign in</button>
</div>
</form>`;
  return layout({ title: 'Sign in', body });
}
