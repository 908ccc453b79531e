import { html, type SafeHtml } from './html.ts';

/** An error message announced as soon as the page loads; `id` lets fields point at it with aria-describedby. */
export function errorAlert(id: string, message: string): SafeHtml {
  return html`<div class="alert alert-error" id="${id}" role="alert"><p>${message}</p></div>`;
}

/** A neutral confirmation ("Password changed."), announced politely. */
export function notice(message: string): SafeHtml {
  return html`<div class="alert alert-info" role="status"><p>${message}</p></div>`;
}
