import { csrfField } from './csrf-field.ts';
import { html } from './html.ts';
import { layout } from './layout.ts';

export type ConfirmView = {
  csrfToken: string;
  username: string;
  /** "Revoke access for Writer?" */
  title: string;
  /** What happens, one sentence each. */
  consequences: string[];
  /** Where the confirming form posts. */
  action: string;
  /** The button's words ("Revoke access"). */
  button: string;
  /** Where "Cancel" goes back to. */
  cancelHref: string;
  /** An operator's page: the navigation links to the operator's pages. */
  operator?: boolean;
};

/**
 * The step before a destructive action (Revoke, deleting a key): a page of its own that
 * says what will happen, with one POST button and a way back. Nothing changes until the
 * button is pressed.
 */
export function renderConfirm(view: ConfirmView): string {
  const body = html`<h1>${view.title}</h1>
<ul class="consequences">${view.consequences.map((c) => html`<li>${c}</li>`)}</ul>
<form method="post" action="${view.action}">
${csrfField(view.csrfToken)}
<div class="actions">
<button type="submit" class="button button-danger">${view.button}</button>
<a class="button button-secondary" href="${view.cancelHref}">Cancel</a>
</div>
</form>`;
  return layout({
    title: view.title,
    body,
    signedInAs: view.username,
    csrfToken: view.csrfToken,
    operator: view.operator ?? false,
  });
}
