import { formatCount, formatUsd } from '../../../usage/format-usage.ts';
import { html } from '../html.ts';
import { tableScroll } from '../table-scroll.ts';
import { utcTime } from '../utc-time.ts';
import { type OperatorFrame, operatorLayout } from './operator-layout.ts';

export type OperatorPersonView = {
  username: string;
  operator: boolean;
  createdAt: Date;
  liveGrants: number;
  allGrants: number;
  /** Every request the person's grants made, since the first. */
  requests: number;
  tokens: number;
  spendMicroUsd: number;
};

export type OperatorPeopleView = OperatorFrame & { people: OperatorPersonView[] };

const CAPTION = "Everyone who can sign in, oldest first; usage since each person's first grant";

/** /operator/people: everyone who can sign in, their role, their grants and what those used. */
export function renderOperatorPeople(view: OperatorPeopleView): string {
  const rows = view.people.map(
    (p) => html`<tr>
<th scope="row">${p.username}</th>
<td>${p.operator ? 'operator' : 'person'}</td>
<td>${utcTime(p.createdAt)}</td>
<td class="number">${formatCount(p.liveGrants)}</td>
<td class="number">${formatCount(p.allGrants)}</td>
<td class="number">${formatCount(p.requests)}</td>
<td class="number">${formatCount(p.tokens)}</td>
<td class="number">${formatUsd(p.spendMicroUsd)}</td>
</tr>`,
  );
  const body = html`<h1>People</h1>
<p class="lede">Everyone who can sign in. Add people and give the operator role with <code>mandate user</code>; no page can.</p>
${
  view.people.length === 0
    ? html`<p class="empty">Nobody yet.</p>`
    : html`${tableScroll(
        CAPTION,
        html`<table class="figures">
<caption class="visually-hidden">${CAPTION}</caption>
<thead><tr><th scope="col">Username</th><th scope="col">Role</th><th scope="col">Added</th><th scope="col" class="number">Live grants</th><th scope="col" class="number">All grants</th><th scope="col" class="number">Requests</th><th scope="col" class="number">Tokens</th><th scope="col" class="number">Spending</th></tr></thead>
<tbody>${rows}</tbody>
</table>`,
      )}
<p class="hint">Requests, tokens and spending: everything each person's grants used, since the first; the grants page has each grant's current period against its caps.</p>`
}`;
  return operatorLayout(view, { title: 'People', section: '/operator/people', body });
}
