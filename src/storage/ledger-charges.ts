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
  requests: 0 | 1;
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

/**
 * Charges the records not yet counted into both counter rows they count in (the whole
 * grant's and their provider's) for the grant's period at the record's time, in the
 * caller's transaction. Rows are written in one order (grant, scope, period), so two
 * writers never wait on each other crosswise.
 */
export async function chargeLedger(trx: Knex.Transaction, records: readonly UsageRecord[]): Promise<void> {
  const unreserved = records
    .map((record) => ({ record, charge: ledgerChargeOf(record) }))
    .filter(
      ({ charge }) => !charge.reserved && (charge.requests > 0 || charge.tokens > 0 || charge.microUsd > 0),
    );
  if (unreserved.length === 0) return;
  // The records' grants, and their ancestors (a child of token exchange counts in each).
  const grants = new Map<
    string,
    { limitPeriod: 'lifetime' | 'month'; createdAt: number; parent: string | null }
  >();
  let wanted = [...new Set(unreserved.map(({ record }) => record.grantId))];
  while (wanted.length > 0) {
    const parents = new Set<string>();
    for (let i = 0; i < wanted.length; i += 500) {
      const rows = await trx('grants')
        .whereIn('id', wanted.slice(i, i + 500))
        .select('id', 'limit_period', 'created_at', 'parent_grant_id');
      for (const row of rows) {
        const parent = row.parent_grant_id === null ? null : String(row.parent_grant_id);
        grants.set(String(row.id), {
          limitPeriod: row.limit_period === 'month' ? 'month' : 'lifetime',
          createdAt: Number(row.created_at),
          parent,
        });
        if (parent !== null && !grants.has(parent)) parents.add(parent);
      }
    }
    wanted = [...parents];
  }
  const sums = new Map<
    string,
    { grant_id: string; scope: string; period: string; requests: number; tokens: number; micro_usd: number }
  >();
  for (const { record, charge } of unreserved) {
    for (let grantId: string | null = record.grantId, hops = 0; grantId !== null && hops <= 32; hops++) {
      const grant = grants.get(grantId);
      if (!grant) break;
      add(grantId, grant, record, charge);
      grantId = grant.parent;
    }
  }
  function add(
    grantId: string,
    grant: { limitPeriod: 'lifetime' | 'month'; createdAt: number },
    record: UsageRecord,
    charge: LedgerCharge,
  ) {
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
  }
  const ordered = [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
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
