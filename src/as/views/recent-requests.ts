import type { UsageRecord } from '../../storage/usage-store.ts';
import { formatCount, formatUsd } from '../../usage/format-usage.ts';
import { html, type SafeHtml } from './html.ts';
import { tableScroll } from './table-scroll.ts';
import { utcTime } from './utc-time.ts';

function outcome(r: UsageRecord): string {
  const notes = [r.clientAborted && 'the app hung up', r.upstreamFailed && 'the provider failed'].filter(
    (n): n is string => typeof n === 'string',
  );
  return `${r.status}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

/** The latest requests of a grant: when, which model and capability, tokens, cost and outcome. Never content. */
export function recentRequests(requests: readonly UsageRecord[]): SafeHtml {
  if (requests.length === 0) return html`<p class="empty">No requests yet.</p>`;
  const rows = requests.map(
    (r) => html`<tr>
<td>${utcTime(new Date(r.createdAt))}</td>
<td><code class="scope-token">${r.provider}:${r.model ?? '—'}</code></td>
<td>${r.capability}</td>
<td class="number">${formatCount(r.inputTokens)}</td>
<td class="number">${formatCount(r.outputTokens)}</td>
<td class="number">${r.costMicroUsd === null ? 'no price' : formatUsd(r.costMicroUsd)}</td>
<td>${outcome(r)}</td>
</tr>`,
  );
  const caption = `The latest ${requests.length} requests, newest first`;
  return tableScroll(
    caption,
    html`<table class="figures">
<caption class="visually-hidden">${caption}</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Model</th><th scope="col">Capability</th><th scope="col" class="number">Input tokens</th><th scope="col" class="number">Output tokens</th><th scope="col" class="number">Cost</th><th scope="col">Status</th></tr></thead>
<tbody>${rows}</tbody>
</table>`,
  );
}
