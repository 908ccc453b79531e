import { html } from './html.ts';
import { layout } from './layout.ts';

/**
 * What any address nothing answers shows a browser: plain words and a way on. The same
 * page for everyone, signed in or not (no account navigation), so it says nothing about
 * who is asking or what exists (the operator's pages rely on that).
 */
export function renderNotFound(): string {
  const body = html`<h1>Page not found</h1>
<p class="lede">There is no page at this address. If you typed it, check it; if a link brought you here, the link is wrong or out of date.</p>
<p><a href="/account">Go to your Mandate account</a></p>`;
  return layout({ title: 'Page not found', body });
}
