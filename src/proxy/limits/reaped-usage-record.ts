import type { ReapedReservation } from '../../storage/budget-store.ts';
import type { UsageRecord } from '../../storage/usage-store.ts';

/**
 * The usage record of a reservation its proxy never settled (it died mid-request):
 * charged at what was reserved, status 0 (no answer was recorded), marked failed. A
 * lease's (a slice of several requests; its proxy died holding it) is charged what the
 * slice still held, its requests and tokens, all counted as output: nobody is left to
 * say what was used of it.
 */
export function reapedUsageRecord(reaped: ReapedReservation): UsageRecord {
  const note = reaped.note;
  const lease = note?.lease === true;
  return {
    id: reaped.id,
    grantId: reaped.grantId,
    clientId: note?.clientId ?? '',
    accountId: note?.accountId ?? '',
    provider: note?.provider ?? '',
    model: note?.model ?? null,
    capability: note?.capability ?? '',
    inputTokens: lease ? 0 : (note?.inputTokens ?? 0),
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: lease ? reaped.tokens : (note?.outputTokens ?? 0),
    reasoningTokens: 0,
    costMicroUsd: reaped.microUsd,
    status: 0,
    upstreamMs: null,
    createdAt: reaped.createdAt,
    clientAborted: false,
    upstreamFailed: true,
    // Its reservation stays charged in the counters: nothing more to add.
    ledger: { reserved: true, requests: reaped.requests, tokens: reaped.tokens, microUsd: reaped.microUsd },
  };
}
