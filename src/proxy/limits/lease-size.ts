import type { Counters } from '../../storage/budget-decision.ts';
import type { Amounts, Remaining } from '../../storage/budget-store.ts';

/** A slice of a grant's remaining budget that one proxy may take as a lease (the ledger's counters). */
export type LeaseSlice = Counters;

export interface LeaseDemand {
  /** What a typical recent request of this grant reserves (its worst case). */
  perRequest: Amounts;
  /** Recent admissions per second at this proxy for this grant. */
  requestsPerSecond: number;
  /** Requests waiting for this slice now (a burst): it covers them all, if it can. */
  waiting?: number;
}

export interface LeaseSizing {
  /** How long a slice should last at the recent demand (it is returned when idle). */
  holdMs: number;
  /** The largest share of what remains under any cap that one slice may take (0 < share ≤ 1). */
  share: number;
  /** The most requests one slice covers. */
  maxRequests: number;
  /**
   * The fewest requests worth a slice: below that, requests reserve one by one as
   * without leases, so the last of a budget goes to whichever proxy asks.
   */
  minRequests: number;
}

/**
 * Sizes a lease to demand and to what remains: enough requests to last `holdMs` at the
 * recent rate, but never more than `share` of the room under any cap, so the slice
 * shrinks as the budget is spent. Returns undefined when no slice of at least
 * `minRequests` fits: the caller then reserves per request.
 */
export function sizeLease(
  remaining: Remaining,
  demand: LeaseDemand,
  sizing: LeaseSizing,
): LeaseSlice | undefined {
  const wanted = Math.max(Math.ceil((demand.requestsPerSecond * sizing.holdMs) / 1000), demand.waiting ?? 0);
  let requests = Math.min(sizing.maxRequests, Math.max(sizing.minRequests, wanted));
  const capBy = (room: number | null, each: number) => {
    if (room === null || each <= 0) return;
    requests = Math.min(requests, Math.floor((Math.max(0, room) * sizing.share) / each));
  };
  capBy(remaining.requests, 1);
  capBy(remaining.tokens, demand.perRequest.tokens);
  capBy(remaining.microUsd, demand.perRequest.microUsd);
  if (requests < sizing.minRequests) return undefined;
  return {
    requests,
    tokens: requests * demand.perRequest.tokens,
    microUsd: requests * demand.perRequest.microUsd,
  };
}
