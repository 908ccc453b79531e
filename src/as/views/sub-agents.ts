import { formatAgainstCap } from '../../usage/format-usage.ts';
import type { GrantCaps } from '../../usage/grant-usage.ts';
import { html, raw, type SafeHtml } from './html.ts';
import { utcTime } from './utc-time.ts';

/** One child grant of token exchange, as the parent's app page lists it. */
export interface SubAgentView {
  grantId: string;
  /** The sub-agent, and whom it acts for: "coder, for planner". */
  actor: string;
  scopes: string[];
  state: { live: true; expiresAt: Date } | { live: false; endedAt: Date; why: string };
  usage: GrantCaps;
}

/**
 * The sub-agents an app handed part of its access to (RFC 8693 token exchange), each
 * with what it may use, until when, and its usage against its caps; every request of
 * theirs also counts against this app's own limits.
 */
export function subAgents(children: readonly SubAgentView[]): SafeHtml {
  if (children.length === 0) return html`<p>This app has not handed its access to any sub-agent.</p>`;
  const rows = children.map((c) => {
    const state = c.state.live
      ? html`until ${utcTime(c.state.expiresAt)}`
      : html`ended ${utcTime(c.state.endedAt)} (${c.state.why})`;
    const data = raw(` data-grant-id="${encodeURIComponent(c.grantId)}"`);
    return html`<tr${data}><th scope="row"><a href="/account/apps/${encodeURIComponent(c.grantId)}">${c.actor}</a></th>
<td>${c.scopes.map((s) => html`<code class="scope-token">${s}</code> `)}</td>
<td>${state}</td>
<td>${formatAgainstCap('requests', c.usage.requests)}</td>
<td>${formatAgainstCap('tokens', c.usage.tokens)}</td>
<td>${formatAgainstCap('spend', c.usage.spendMicroUsd)}</td></tr>`;
  });
  return html`<p>Every request of a sub-agent also counts against this app's limits above.</p>
<table class="sub-agents">
<thead><tr><th scope="col">Sub-agent</th><th scope="col">Can use</th><th scope="col">Access</th><th scope="col">Requests</th><th scope="col">Tokens</th><th scope="col">Spending</th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
}
