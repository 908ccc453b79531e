import type { Counters } from './budget-decision.ts';
import { LEASE_ID_PREFIX, type LedgerEntry, ledgerEntryOf } from './budget-store.ts';
import type { Database } from './create-database.ts';
import { type Scope, WHOLE } from './grant-limits.ts';

/**
 * One grant's ledger for one period, by scope ('*' for the whole grant, a provider id
 * for that provider's requests), in one query: what the proxy checks the caps against
 * (settled usage plus open reservations) and how much of it is still in flight. A scope
 * without a row has been charged nothing in the period.
 */
export async function ledgerOf(
  db: Database,
  grantId: string,
  period: string,
): Promise<Map<Scope, LedgerEntry>> {
  const rows = await db('grant_counters').where({ grant_id: grantId, period });
  return new Map(
    rows.map((row: Record<string, unknown>) => [String(row.scope) as Scope, ledgerEntryOf(row)]),
  );
}

/**
 * Of a grant's open counters in a period, what proxies hold as slices of leases
 * (docs/limits.md#leases), by scope: its own slices and its descendants' (a child's slice
 * counts in every ancestor). Requests in flight out of a slice are part of it.
 */
export async function setAsideOf(
  db: Database,
  grantId: string,
  period: string,
): Promise<Map<Scope, Counters>> {
  const rows = await db('reservations')
    .where('id', 'like', `${LEASE_ID_PREFIX}%`)
    .where((w) =>
      w
        .where({ grant_id: grantId, period })
        .orWhere('ancestors', 'like', `%${JSON.stringify([grantId, period])}%`),
    )
    .select('provider', 'requests', 'tokens', 'micro_usd');
  const sums = new Map<Scope, Counters>();
  for (const row of rows)
    for (const scope of [WHOLE, String(row.provider) as Scope]) {
      const sum = sums.get(scope) ?? { requests: 0, tokens: 0, microUsd: 0 };
      sum.requests += Number(row.requests);
      sum.tokens += Number(row.tokens);
      sum.microUsd += Number(row.micro_usd);
      sums.set(scope, sum);
    }
  return sums;
}
