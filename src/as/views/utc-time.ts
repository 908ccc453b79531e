import { html, type SafeHtml } from './html.ts';

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `<time datetime="2025-01-02T03:04:05.000Z">2025-01-02 03:04 UTC</time>`; an invalid date renders "unknown". */
export function utcTime(date: Date): SafeHtml {
  if (Number.isNaN(date.getTime())) return html`<span>unknown</span>`;
  const day = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
  return html`<time datetime="${date.toISOString()}">${day} ${time} UTC</time>`;
}
