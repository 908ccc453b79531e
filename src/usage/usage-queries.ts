import type { Database } from '../storage/create-database.ts';
import { type UsageRecord, usageRecordFromRow } from '../storage/usage-store.ts';
import { DAY_MS } from './usage-period.ts';

/** Sums over a grant's usage records: requests are rows, tokens input + output, spend the priced cost. */
export interface UsageTotals {
  requests: number;
  tokens: number;
  spendMicroUsd: number;
  /** Requests the price table had no price for (their cost is not in `spendMicroUsd`). */
  unpricedRequests: number;
}

export interface DailyTotals extends UsageTotals {
  /** Midnight UTC of the day, epoch ms. */
  day: number;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/**
 * Aggregates over `usage_records` (the history) for one grant, computed in the database
 * (indexed by grant and time), so the cost stays flat however many requests a grant
 * made. The figures against the caps come from the ledger, not from here.
 */
export function createUsageQueries(db: Database) {
  const sums = [
    db.raw('count(*) as requests'),
    db.raw('coalesce(sum(input_tokens + output_tokens), 0) as tokens'),
    db.raw('coalesce(sum(cost_micro_usd), 0) as micro_usd'),
    db.raw('coalesce(sum(case when cost_micro_usd is null then 1 else 0 end), 0) as unpriced'),
  ];
  const totalsOf = (r: Record<string, unknown> | undefined): UsageTotals => ({
    requests: num(r?.requests),
    tokens: num(r?.tokens),
    spendMicroUsd: num(r?.micro_usd),
    unpricedRequests: num(r?.unpriced),
  });
  const span = (grantId: string, from: number, to: number | null) => {
    const q = db('usage_records').where({ grant_id: grantId }).where('created_at', '>=', from);
    if (to !== null) q.where('created_at', '<', to);
    return q;
  };

  return {
    /** Records made in [from, to) the price table had no price for; `to` null: no end. */
    async unpriced(grantId: string, from: number, to: number | null): Promise<number> {
      const row = await span(grantId, from, to).whereNull('cost_micro_usd').count('* as unpriced').first();
      return num(row?.unpriced);
    },

    /** Totals per UTC day in [from, to), only days with records, oldest first. */
    async daily(grantId: string, from: number, to: number): Promise<DailyTotals[]> {
      const bucket = `created_at / ${DAY_MS}`;
      const rows = await span(grantId, from, to)
        .select(db.raw(`${bucket} as day`), ...sums)
        .groupByRaw(bucket)
        .orderBy('day');
      return rows.map((r: Record<string, unknown>) => ({ day: num(r.day) * DAY_MS, ...totalsOf(r) }));
    },

    /** The latest `limit` records, newest first. */
    async recent(grantId: string, limit: number): Promise<UsageRecord[]> {
      const rows = await db('usage_records')
        .where({ grant_id: grantId })
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit);
      return rows.map(usageRecordFromRow);
    },
  };
}

export type UsageQueries = ReturnType<typeof createUsageQueries>;
