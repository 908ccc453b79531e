import { html } from './html.ts';
import { layout } from './layout.ts';

export type MessageView = {
  title: string;
  message: string;
  /** `error` announces the message as an alert; defaults to `info`. */
  status?: 'error' | 'info';
  signedInAs?: string;
  csrfToken?: string;
};

/** Error pages and "you can close this window" pages. */
export function renderMessage({
  title,
  message,
  status = 'info',
  signedInAs,
  csrfToken,
}: MessageView): string {
  const text =
    status === 'error'
      ? html`<div class="alert alert-error" role="alert"><p>${message}</p></div>`
      : html`<p class="lede">${message}</p>`;
  const body = html`<h1>${title}</h1>
${text}`;
  return layout({ title, body, signedInAs, csrfToken });
}
