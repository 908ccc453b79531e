import type { GrantLimits } from './grant-store.ts';

/** The span a grant's request, token and spend caps count over at some moment. */
export interface UsagePeriod {
  kind: GrantLimits['limitPeriod'];
  /** 'lifetime', or the UTC month as 'YYYY-MM' (the budget counters' period names). */
  key: string;
  /** Start of the span in epoch ms: the grant's creation, or the month's first instant (UTC). */
  startsAt: number;
  /** When the counts start again from zero: the next UTC month, or null for lifetime. */
  resetsAt: number | null;
}

/** The period of a grant's caps at `now`: its whole life, or the current calendar month in UTC. */
export function usagePeriod(
  limitPeriod: GrantLimits['limitPeriod'],
  createdAt: number,
  now: number,
): UsagePeriod {
  if (limitPeriod !== 'month')
    return { kind: 'lifetime', key: 'lifetime', startsAt: createdAt, resetsAt: null };
  const d = new Date(now);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  return {
    kind: 'month',
    key: `${year}-${String(month + 1).padStart(2, '0')}`,
    startsAt: Date.UTC(year, month, 1),
    resetsAt: Date.UTC(year, month + 1, 1),
  };
}
