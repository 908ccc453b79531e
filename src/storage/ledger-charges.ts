import type { Knex } from 'knex';
import { WHOLE } from './grant-limits.ts';
import { usagePeriod } from './limit-period.ts';
import type { UsageRecord } from './usage-store.ts';

/**
 * What a stored usage record adds to the ledger (`grant_counters`). A request with a
 * reservation was counted when it was reserved and settled (`reserved`); any other
 * (a grant without caps) is charged here, when its record is stored.
 */
export interface LedgerCharge {
  reserved: boolean;
  /** One, or none; a reaped lease's record stands for the requests its slice still held. */
  requests: number;
  tokens: number;
  microUsd: number;
}

/**
 * The charge of a record that does not say (written before records carried one): tokens
 * and cost as recorded, a request when the upstream answered below 500, or the request
 * was charged tokens without an answer (an abort).
 */
export function ledgerChargeOf(record: UsageRecord): LedgerCharge {
  if (record.ledger) return record.ledger;
  const tokens = record.inputTokens + record.outputTokens;
  const counts = (record.status > 0 && record.status < 500) || (record.status === 0 && tokens > 0);
  return { reserved: false, requests: counts ? 1 : 0, tokens, microUsd: record.costMicroUsd ?? 0 };
}

/** The grant facts a record's counting follows: its period, and its parent (a child of token exchange counts in each ancestor). */
export type GrantPeriodOf = { limitPeriod: 'lifetime' | 'month'; createdAt: number; parent: string | null };

/** A `grants` row's period facts (`id`, `limit_period`, `created_at`, `parent_grant_id`). */
export const grantPeriodOfRow = (row: Record<string, unknown>): GrantPeriodOf => ({
  limitPeriod: row.limit_period === 'month' ? 'month' : 'lifetime',
  createdAt: Number(row.created_at),
  parent:
    row.parent_grant_id === null || row.parent_grant_id === undefined ? null : String(row.parent_grant_id),
});

/** One counter row's addition: a grant's scope ('*' or a provider) in one period. */
export interface CounterSum {
  grant_id: string;
  scope: string;
  period: string;
  requests: number;
  tokens: number;
  micro_usd: number;
}

/** The records a reservation did not already count, with what each adds (those adding nothing left out). */
export function unreservedCharges(records: readonly UsageRecord[]) {
  return records
    .map((record) => ({ record, charge: ledgerChargeOf(record) }))
    .filter(
      ({ charge }) => !charge.reserved && (charge.requests > 0 || charge.tokens > 0 || charge.microUsd > 0),
    );
}

/**
 * What `unreserved` adds to each counter row it counts in: the whole grant's and its
 * provider's, for the record's grant and each of its ancestors (`grants` must hold the
 * chain), each in that grant's period at the record's time; summed per row and ordered
 * by (grant, scope, period), so two writers that write in this order never wait on each
 * other crosswise. A grant `grants` does not know ends its chain there.
 */
export function counterSums(
  unreserved: ReturnType<typeof unreservedCharges>,
  grants: ReadonlyMap<string, GrantPeriodOf>,
): CounterSum[] {
  const sums = new Map<string, CounterSum>();
  for (const { record, charge } of unreserved) {
    for (let grantId: string | null = record.grantId, hops = 0; grantId !== null && hops <= 32; hops++) {
      const grant = grants.get(grantId);
      if (!grant) break;
      const period = usagePeriod(grant.limitPeriod, grant.createdAt, record.createdAt).key;
      for (const scope of record.provider ? [WHOLE, record.provider] : [WHOLE]) {
        const key = `${grantId}\u0000${scope}\u0000${period}`;
        const sum = sums.get(key) ?? {
          grant_id: grantId,
          scope,
          period,
          requests: 0,
          tokens: 0,
          micro_usd: 0,
        };
        sum.requests += charge.requests;
        sum.tokens += charge.tokens;
        sum.micro_usd += charge.microUsd;
        sums.set(key, sum);
      }
      grantId = grant.parent;
    }
  }
  return [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}

/**
 * Charges the records not yet counted into the counter rows they count in, in the
 * caller's transaction (knex; SQLite's hot path prepares its own statements, see
 * `usage-store.ts`).
 */
export async function chargeLedger(trx: Knex.Transaction, records: readonly UsageRecord[]): Promise<void> {
  const unreserved = unreservedCharges(records);
  if (unreserved.length === 0) return;
  // The records' grants, and their ancestors.
  const grants = new Map<string, GrantPeriodOf>();
  let wanted = [...new Set(unreserved.map(({ record }) => record.grantId))];
  while (wanted.length > 0) {
    const parents = new Set<string>();
    for (let i = 0; i < wanted.length; i += 500) {
      const rows = await trx('grants')
        .whereIn('id', wanted.slice(i, i + 500))
        .select('id', 'limit_period', 'created_at', 'parent_grant_id');
      for (const row of rows) {
        const grant = grantPeriodOfRow(row);
        grants.set(String(row.id), grant);
        if (grant.parent !== null && !grants.has(grant.parent)) parents.add(grant.parent);
      }
    }
    wanted = [...parents];
  }
  const ordered = counterSums(unreserved, grants);
  for (let i = 0; i < ordered.length; i += 200)
    await trx('grant_counters')
      .insert(ordered.slice(i, i + 200))
      .onConflict(['grant_id', 'scope', 'period'])
      .merge({
        requests: trx.raw('grant_counters.requests + excluded.requests'),
        tokens: trx.raw('grant_counters.tokens + excluded.tokens'),
        micro_usd: trx.raw('grant_counters.micro_usd + excluded.micro_usd'),
      });
}
