import { errorAlert, notice } from './alerts.ts';
import { csrfField } from './csrf-field.ts';
import { errorSummary } from './error-summary.ts';
import { html, raw } from './html.ts';
import { layout } from './layout.ts';

export type ChangePasswordView = {
  csrfToken: string;
  username: string;
  error?: string;
  /** The field the error is about (`current-password`, `new-password`): the error summary links to it. */
  errorField?: 'current-password' | 'new-password' | 'confirm-password';
  notice?: string;
};

/**
 * Change-password page. Posts `csrf`, `current_password`, `new_password`, `confirm_password`
 * (and `username`, a hidden field that lets password managers update the right entry).
 */
export function renderChangePassword({
  csrfToken,
  username,
  error,
  errorField,
  notice: message,
}: ChangePasswordView): string {
  const errorRef = error ? raw(' password-error') : '';
  const body = html`<h1>Change password</h1>
${error && errorSummary([{ message: error, fieldId: errorField ?? 'current-password' }])}
${message && notice(message)}
${error && errorAlert('password-error', error)}
<form class="stack" method="post" action="/account/password">
${csrfField(csrfToken)}
<input type="text" name="username" value="${username}" autocomplete="username" hidden>
<div class="field">
<label for="current-password">Current password</label>
<input id="current-password" name="current_password" type="password" autocomplete="current-password" required${error ? raw(' aria-describedby="password-error"') : ''}>
</div>
<div class="field">
<label for="new-password">New password</label>
<input id="new-password" name="new_password" type="password" autocomplete="new-password" required aria-describedby="new-password-hint${errorRef}">
<p class="hint" id="new-password-hint">Use a long passphrase that you do not use anywhere else.</p>
</div>
<div class="field">
<label for="confirm-password">Confirm new password</label>
<input id="confirm-password" name="confirm_password" type="password" autocomplete="new-password" required${error ? raw(' aria-describedby="password-error"') : ''}>
</div>
<div class="actions">
<button type="submit" class="button button-primary">Change password</button>
</div>
</form>`;
  return layout({
    title: 'Change password',
    body,
    signedInAs: username,
    csrfToken,
    current: '/account/password',
  });
}
