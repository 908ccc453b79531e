import { formatUtc } from '../../usage/format-usage.ts';
import { html, type SafeHtml } from './html.ts';

/** `<time datetime="2025-01-02T03:04:05.000Z">2025-01-02 03:04 UTC</time>` (as the CLI says it); an invalid date renders "unknown". */
export function utcTime(date: Date): SafeHtml {
  if (Number.isNaN(date.getTime())) return html`<span>unknown</span>`;
  return html`<time datetime="${date.toISOString()}">${formatUtc(date.getTime())}</time>`;
}
