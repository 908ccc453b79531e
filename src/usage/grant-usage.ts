import type { Provider } from '../scopes/index.ts';
import type { Counters } from '../storage/budget-decision.ts';
import type { LedgerEntry } from '../storage/budget-store.ts';
import type { Database } from '../storage/create-database.ts';
import { ledgerOf, setAsideOf } from '../storage/grant-ledger.ts';
import { type Caps, capsOf, type Scope, WHOLE } from '../storage/grant-limits.ts';
import type { GrantRecord } from '../storage/grant-store.ts';
import { type UsagePeriod, usagePeriod } from '../storage/limit-period.ts';
import type { UsageRecord } from '../storage/usage-store.ts';
import { grantProviders } from './grant-providers.ts';
import { DAY_MS, utcDate, utcDayStart } from './usage-period.ts';
import { createUsageQueries } from './usage-queries.ts';

/**
 * Usage against one cap, as the ledger (`grant_counters`) holds it: `used` is what
 * finished requests were charged, `inFlight` what requests still running hold (their
 * worst case, until they settle), `setAside` what proxies hold as slices of leases (for
 * the app's next requests, and those running out of them); `limit` null: no cap (and no
 * remaining or percent).
 */
export interface CapFigure {
  used: number;
  inFlight: number;
  setAside: number;
  limit: number | null;
  /** limit − used − in flight − set aside, never below 0: 0 exactly when the proxy refuses (busy or capped). */
  remaining: number | null;
  /** used ÷ limit × 100, unrounded (may pass 100 if a cap was lowered below what was used). */
  percent: number | null;
}

/** One scope's caps and usage: the whole grant ('*') or one provider's requests. */
export interface ScopeFigures {
  scope: Scope;
  requests: CapFigure;
  tokens: CapFigure;
  spendMicroUsd: CapFigure;
  requestsPerMinute: number | null;
}

export interface DayFigure {
  /** 'YYYY-MM-DD', UTC. */
  date: string;
  startsAt: number;
  requests: number;
  tokens: number;
  spendMicroUsd: number;
}

/**
 * Usage so far in the grant's current period against each cap (the account home shows
 * these): the whole grant's (the top-level figures, `scope` '*') and each provider's.
 */
export interface GrantCaps extends ScopeFigures {
  grantId: string;
  now: number;
  period: UsagePeriod;
  /** Each provider the grant can use, has caps for or was charged for, in the registry's order. */
  providers: Array<ScopeFigures & { scope: Provider }>;
  /** Requests in the period the price table had no price for (from the history). */
  unpricedRequests: number;
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

function against(
  counters: LedgerEntry | undefined,
  slices: Counters | undefined,
  key: keyof Counters,
  limit: number | null,
): CapFigure {
  const used = counters?.settled[key] ?? 0;
  const open = counters?.open[key] ?? 0;
  const setAside = Math.min(open, slices?.[key] ?? 0);
  const inFlight = open - setAside;
  if (limit === null) return { used, inFlight, setAside, limit, remaining: null, percent: null };
  return {
    used,
    inFlight,
    setAside,
    limit,
    remaining: Math.max(0, limit - used - open),
    percent: (used / limit) * 100,
  };
}

function figuresOf<S extends Scope>(
  scope: S,
  caps: Caps,
  counters: LedgerEntry | undefined,
  slices: Counters | undefined,
) {
  return {
    scope,
    requests: against(counters, slices, 'requests', caps.maxRequests),
    tokens: against(counters, slices, 'tokens', caps.maxTokens),
    spendMicroUsd: against(counters, slices, 'microUsd', caps.maxSpendMicroUsd),
    requestsPerMinute: caps.requestsPerMinute,
  };
}

/**
 * The one place a grant's figures are computed. Against the caps: the ledger the proxy
 * enforces (`grant_counters`, one query for every scope of the grant's current period),
 * settled usage and what requests in flight hold, for the whole grant and each provider.
 * With `full`, also the history from `usage_records`: a 30-day daily series and the
 * latest requests.
 */
export function createGrantUsage(db: Database) {
  const queries = createUsageQueries(db);

  async function caps(grant: GrantRecord, now: number): Promise<GrantCaps> {
    const period = usagePeriod(grant.limits.limitPeriod, grant.createdAt, now);
    const ledger = await ledgerOf(db, grant.id, period.key);
    const slices = await setAsideOf(db, grant.id, period.key);
    const unpriced =
      period.kind === 'lifetime'
        ? await queries.unpriced(grant.id, 0, null)
        : await queries.unpriced(grant.id, period.startsAt, period.resetsAt);
    return {
      grantId: grant.id,
      now,
      period,
      ...figuresOf(WHOLE, capsOf(grant.limits, WHOLE), ledger.get(WHOLE), slices.get(WHOLE)),
      providers: grantProviders(grant, ledger.keys()).map((p) =>
        figuresOf(p, capsOf(grant.limits, p), ledger.get(p), slices.get(p)),
      ),
      unpricedRequests: unpriced,
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
