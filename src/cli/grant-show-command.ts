import type { Writable } from 'node:stream';
import type { Stores } from '../storage/index.ts';
import { describeGrantEvent, GRANT_EVENT_TITLES } from '../usage/describe-grant-event.ts';
import { describeLimits, formatCount, formatPeriod, formatUsd, formatUtc } from '../usage/format-usage.ts';
import { createGrantUsage } from '../usage/grant-usage.ts';
import { appName, capLine, findGrant, grantState, scopeName, username, writeLines } from './grant-figures.ts';
import { printTable, UsageError } from './output.ts';

/**
 * `mandate grant show ID`: one grant as the person's page shows it: scopes, limits,
 * usage against each cap (a row for the whole grant, then one per provider), the last 30 days, recent requests and the audit trail.
 */
export async function showGrant(stores: Stores, out: Writable, grantId: string | undefined): Promise<void> {
  if (!grantId) throw new UsageError('usage: mandate grant show GRANT_ID');
  const grant = await findGrant(stores, grantId);
  const now = stores.clock();
  const usage = await createGrantUsage(stores.db)(grant, now);
  const ended = grant.revokedAt ?? (grant.expiresAt <= now ? grant.expiresAt : null);
  writeLines(out, [
    `Grant     ${grant.id}`,
    `App       ${await appName(stores, grant.clientId)} (${grant.clientId})`,
    `User      ${await username(stores, grant.accountId)}`,
    `State     ${grantState(grant, now)}${ended === null ? '' : ` since ${formatUtc(ended)}`}`,
    `Allowed   ${formatUtc(grant.createdAt)}`,
    `Expires   ${formatUtc(grant.expiresAt)}`,
    `Scopes    ${grant.scopes.join(' ') || '(none)'}`,
    `Limits    ${describeLimits(grant.limits)}`,
    '',
    `Usage in the current period: ${formatPeriod(usage.period)}`,
  ]);
  printTable(
    out,
    ['  SCOPE', 'REQUESTS', 'TOKENS', 'SPENDING'],
    [usage, ...usage.providers].map((s) => [
      `  ${scopeName(s.scope)}`,
      capLine('requests', s.requests),
      capLine('tokens', s.tokens),
      capLine('spend', s.spendMicroUsd),
    ]),
  );
  writeLines(out, [
    ...(usage.unpricedRequests > 0
      ? [`  ${formatCount(usage.unpricedRequests)} requests had no price; their cost is not in the spending.`]
      : []),
    '',
    `Last 30 days (${usage.days[0]?.date} to ${usage.days.at(-1)?.date}, UTC): ${formatCount(usage.last30Days.requests)} requests, ${formatCount(usage.last30Days.tokens)} tokens, ${formatUsd(usage.last30Days.spendMicroUsd)}`,
  ]);
  const active = usage.days.filter((d) => d.requests > 0);
  if (active.length > 0) {
    printTable(
      out,
      ['  DAY', 'REQUESTS', 'TOKENS', 'SPEND'],
      active.map((d) => [
        `  ${d.date}`,
        formatCount(d.requests),
        formatCount(d.tokens),
        formatUsd(d.spendMicroUsd),
      ]),
    );
  }
  writeLines(out, ['', `Recent requests (latest ${usage.recent.length}, newest first)`]);
  if (usage.recent.length > 0) {
    printTable(
      out,
      ['  TIME', 'MODEL', 'CAPABILITY', 'INPUT', 'OUTPUT', 'COST', 'STATUS'],
      usage.recent.map((r) => [
        `  ${formatUtc(r.createdAt)}`,
        `${r.provider}:${r.model ?? '-'}`,
        r.capability,
        formatCount(r.inputTokens),
        formatCount(r.outputTokens),
        r.costMicroUsd === null ? 'no price' : formatUsd(r.costMicroUsd),
        `${r.status}${r.clientAborted ? ' client aborted' : ''}${r.upstreamFailed ? ' upstream failed' : ''}`,
      ]),
    );
  }
  const events = await stores.grantEvents.forGrant(grant.id);
  writeLines(out, ['', 'History (oldest first)']);
  if (events.length > 0) {
    printTable(
      out,
      ['  TIME', 'EVENT', 'DETAIL'],
      events.map((e) => [
        `  ${formatUtc(e.createdAt)}`,
        GRANT_EVENT_TITLES[e.kind] ?? e.kind,
        describeGrantEvent(e),
      ]),
    );
  }
}
