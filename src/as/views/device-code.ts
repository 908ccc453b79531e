import { errorSummary } from './error-summary.ts';
import { html } from './html.ts';
import { layout } from './layout.ts';

/** oidc-provider's own form carries its CSRF token (`xsrf`) and action: Mandate renders the fields itself. */
export function deviceFormParts(form: string): { action: string; xsrf: string } {
  return {
    action: /action="([^"]*)"/.exec(form)?.[1] ?? '/device',
    xsrf: /name="xsrf" value="([^"]*)"/.exec(form)?.[1] ?? '',
  };
}

export type DeviceCodeView = { form: string; error?: string };

/** The page where the person types the code their device shows. Posts `xsrf`, `user_code`. */
export function renderDeviceCodeInput({ form, error }: DeviceCodeView): string {
  const { action, xsrf } = deviceFormParts(form);
  const body = html`<h1>Connect a device</h1>
<p class="lede">Enter the code your device or command line shows.</p>
${error && errorSummary([{ message: error, fieldId: 'user_code' }])}
<form class="stack" method="post" action="${action}">
<input type="hidden" name="xsrf" value="${xsrf}">
<div class="field">
<label for="user_code">Code</label>
<input id="user_code" name="user_code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required${error ? html` aria-invalid="true" aria-describedby="error-summary"` : ''}>
</div>
<div class="actions">
<button type="submit" class="button button-primary">Continue</button>
</div>
</form>`;
  return layout({ title: 'Connect a device', body });
}

/** Asks the person to check the code before signing in and consenting. */
export function renderDeviceCodeConfirm({
  form,
  appName,
  userCode,
}: {
  form: string;
  appName: string;
  userCode: string;
}): string {
  const { action, xsrf } = deviceFormParts(form);
  const body = html`<h1>Connect ${appName}</h1>
<p class="lede">Check that your device shows this code: <strong>${userCode}</strong></p>
<p>If you did not start this, or the code differs, cancel.</p>
<form class="stack" method="post" action="${action}">
<input type="hidden" name="xsrf" value="${xsrf}">
<input type="hidden" name="user_code" value="${userCode}">
<input type="hidden" name="confirm" value="yes">
<div class="actions">
<button type="submit" class="button button-primary">Continue</button>
<button type="submit" class="button button-secondary" name="abort" value="yes">Cancel</button>
</div>
</form>`;
  return layout({ title: `Connect ${appName}`, body });
}
