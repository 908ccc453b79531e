import { type LedgerEntry, ledgerEntryOf } from './budget-store.ts';
import type { Database } from './create-database.ts';
import type { Scope } from './grant-limits.ts';

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
