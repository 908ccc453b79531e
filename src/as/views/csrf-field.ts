import { html, type SafeHtml } from './html.ts';

/** The hidden anti-CSRF field every state-changing form carries. */
export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${token}">`;
}
