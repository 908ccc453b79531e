import type { ReapedReservation } from '../../storage/budget-store.ts';
import type { UsageRecord } from '../../storage/usage-store.ts';

/**
 * The usage record of a reservation its proxy never settled (it died mid-request):
 * charged at what was reserved, status 0 (no answer was recorded), marked failed.
 */
export function reapedUsageRecord(reaped: ReapedReservation): UsageRecord {
  const note = reaped.note;
  return {
    id: reaped.id,
    grantId: reaped.grantId,
    clientId: note?.clientId ?? '',
    accountId: note?.accountId ?? '',
    provider: note?.provider ?? '',
    model: note?.model ?? null,
    capability: note?.capability ?? '',
    inputTokens: note?.inputTokens ?? 0,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: note?.outputTokens ?? 0,
    reasoningTokens: 0,
    costMicroUsd: reaped.microUsd,
    status: 0,
    upstreamMs: null,
    createdAt: reaped.createdAt,
    clientAborted: false,
    upstreamFailed: true,
    // Its reservation stays charged in the counters: nothing more to add.
    ledger: { reserved: true, requests: 1, tokens: reaped.tokens, microUsd: reaped.microUsd },
  };
}
