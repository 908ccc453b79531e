import { html, type SafeHtml } from './html.ts';

/**
 * The wrapper that lets a wide table scroll sideways instead of breaking model ids or
 * dates: a focusable region named like the table (its caption's words), so a person
 * without a mouse can reach it and scroll it with the arrow keys, and a screen reader
 * says what it holds.
 */
export function tableScroll(label: string, table: SafeHtml): SafeHtml {
  return html`<div class="table-scroll" role="region" aria-label="${label}" tabindex="0">
${table}
</div>`;
}
