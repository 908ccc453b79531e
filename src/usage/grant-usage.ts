import type { Database } from '../storage/create-database.ts';
import type { GrantRecord } from '../storage/grant-store.ts';
import { type UsagePeriod, usagePeriod } from '../storage/limit-period.ts';
import type { UsageRecord } from '../storage/usage-store.ts';
import { DAY_MS, utcDate, utcDayStart } from './usage-period.ts';
import { createUsageQueries } from './usage-queries.ts';

/** Usage against one cap; `limit` null: no cap (and no remaining or percent). */
export interface CapFigure {
  used: number;
  limit: number | null;
  remaining: number | null;
  /** used ÷ limit × 100, unrounded (may pass 100 if a cap was lowered below what was used). */
  percent: number | null;
}

export interface DayFigure {
  /** 'YYYY-MM-DD', UTC. */
  date: string;
  startsAt: number;
  requests: number;
  tokens: number;
  spendMicroUsd: number;
}

/** Usage so far in the grant's current period against each cap (the account home shows these). */
export interface GrantCaps {
  grantId: string;
  now: number;
  period: UsagePeriod;
  requests: CapFigure;
  tokens: CapFigure;
  spendMicroUsd: CapFigure;
  /** Requests in the period the price table had no price for. */
  unpricedRequests: number;
  requestsPerMinute: number | null;
}

/** A grant's figures at one moment, as the app page, its JSON API and the CLI show them. */
export interface GrantUsage extends GrantCaps {
  /** The last 30 UTC days, today last, days without requests included. */
  days: DayFigure[];
  last30Days: { requests: number; tokens: number; spendMicroUsd: number };
  /** Up to 20, newest first. */
  recent: UsageRecord[];
}

export const CHART_DAYS = 30;
export const RECENT_REQUESTS = 20;

function against(used: number, limit: number | null): CapFigure {
  if (limit === null) return { used, limit, remaining: null, percent: null };
  return { used, limit, remaining: Math.max(0, limit - used), percent: (used / limit) * 100 };
}

/**
 * The one place a grant's figures are computed: the period its caps count over, usage
 * so far in that period (requests = usage records, tokens = input + output, spend = the
 * priced cost) against each cap (`caps`: one query); with `full`, also a 30-day daily
 * series and the latest requests.
 */
export function createGrantUsage(db: Database) {
  const queries = createUsageQueries(db);

  async function caps(grant: GrantRecord, now: number): Promise<GrantCaps> {
    const period = usagePeriod(grant.limits.limitPeriod, grant.createdAt, now);
    // A lifetime period counts every record of the grant, whatever its clock said.
    const totals =
      period.kind === 'lifetime'
        ? await queries.totals(grant.id, 0, null)
        : await queries.totals(grant.id, period.startsAt, period.resetsAt);
    return {
      grantId: grant.id,
      now,
      period,
      requests: against(totals.requests, grant.limits.maxRequests),
      tokens: against(totals.tokens, grant.limits.maxTokens),
      spendMicroUsd: against(totals.spendMicroUsd, grant.limits.maxSpendMicroUsd),
      unpricedRequests: totals.unpricedRequests,
      requestsPerMinute: grant.limits.requestsPerMinute,
    };
  }

  async function full(grant: GrantRecord, now: number): Promise<GrantUsage> {
    const today = utcDayStart(now);
    const first = today - (CHART_DAYS - 1) * DAY_MS;
    const byDay = new Map((await queries.daily(grant.id, first, today + DAY_MS)).map((d) => [d.day, d]));
    const days: DayFigure[] = [];
    for (let day = first; day <= today; day += DAY_MS) {
      const d = byDay.get(day);
      days.push({
        date: utcDate(day),
        startsAt: day,
        requests: d?.requests ?? 0,
        tokens: d?.tokens ?? 0,
        spendMicroUsd: d?.spendMicroUsd ?? 0,
      });
    }
    const sum = (key: 'requests' | 'tokens' | 'spendMicroUsd') => days.reduce((s, d) => s + d[key], 0);
    return {
      ...(await caps(grant, now)),
      days,
      last30Days: { requests: sum('requests'), tokens: sum('tokens'), spendMicroUsd: sum('spendMicroUsd') },
      recent: await queries.recent(grant.id, RECENT_REQUESTS),
    };
  }

  return Object.assign(full, { caps });
}

export type GrantUsageOf = ReturnType<typeof createGrantUsage>;
