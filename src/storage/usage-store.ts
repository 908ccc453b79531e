import type { Database } from './create-database.ts';
import {
  chargeLedger,
  counterSums,
  type GrantPeriodOf,
  grantPeriodOfRow,
  type LedgerCharge,
  unreservedCharges,
} from './ledger-charges.ts';
import { inPreparedSqliteTransaction, type SqliteConnection } from './sqlite-prepared.ts';

export type { LedgerCharge } from './ledger-charges.ts';

/** One forwarded request's usage, as stored. */
export interface UsageRecord {
  id: string;
  grantId: string;
  clientId: string;
  accountId: string;
  provider: string;
  model: string | null;
  capability: string;
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  /** What the request cost by the price table, in micro-USD; null when it has no price. */
  costMicroUsd: number | null;
  status: number;
  upstreamMs: number | null;
  createdAt: number;
  clientAborted: boolean;
  upstreamFailed: boolean;
  /**
   * How the request reaches the ledger (not stored): already counted by its reservation,
   * or charged when this record is stored. Absent: charged as the record says.
   */
  ledger?: LedgerCharge;
}

const toRow = (r: UsageRecord) => ({
  id: r.id,
  grant_id: r.grantId,
  client_id: r.clientId,
  account_id: r.accountId,
  provider: r.provider,
  model: r.model,
  capability: r.capability,
  input_tokens: r.inputTokens,
  cached_input_tokens: r.cachedInputTokens,
  cache_write_tokens: r.cacheWriteTokens,
  output_tokens: r.outputTokens,
  reasoning_tokens: r.reasoningTokens,
  cost_micro_usd: r.costMicroUsd,
  status: r.status,
  upstream_ms: r.upstreamMs,
  created_at: r.createdAt,
  client_aborted: r.clientAborted,
  upstream_failed: r.upstreamFailed,
});

const COLUMNS = Object.keys(toRow({} as UsageRecord));

/**
 * SQLite's statements for a batch: the same rows and counter additions as the knex path,
 * prepared once per connection (booleans as 0/1, as knex stores them).
 */
const prepareUsage = (connection: SqliteConnection) => ({
  insert: connection.prepare(
    `insert into usage_records (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')}) on conflict(id) do nothing`,
  ),
  grant: connection.prepare('select limit_period, created_at, parent_grant_id from grants where id = ?'),
  charge: connection.prepare(
    'insert into grant_counters (grant_id, scope, period, requests, tokens, micro_usd) values (?, ?, ?, ?, ?, ?) ' +
      'on conflict(grant_id, scope, period) do update set requests = grant_counters.requests + excluded.requests, ' +
      'tokens = grant_counters.tokens + excluded.tokens, micro_usd = grant_counters.micro_usd + excluded.micro_usd',
  ),
});

function sqliteValues(r: UsageRecord): unknown[] {
  return Object.values(toRow(r)).map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
}

/** A `usage_records` row as a record. */
export const usageRecordFromRow = (row: Record<string, unknown>): UsageRecord => ({
  id: String(row.id),
  grantId: String(row.grant_id),
  clientId: String(row.client_id),
  accountId: String(row.account_id),
  provider: String(row.provider),
  model: row.model === null ? null : String(row.model),
  capability: String(row.capability),
  inputTokens: Number(row.input_tokens),
  cachedInputTokens: Number(row.cached_input_tokens),
  cacheWriteTokens: Number(row.cache_write_tokens),
  outputTokens: Number(row.output_tokens),
  reasoningTokens: Number(row.reasoning_tokens),
  costMicroUsd:
    row.cost_micro_usd === null || row.cost_micro_usd === undefined ? null : Number(row.cost_micro_usd),
  status: Number(row.status),
  upstreamMs: row.upstream_ms === null ? null : Number(row.upstream_ms),
  createdAt: Number(row.created_at),
  clientAborted: Boolean(row.client_aborted),
  upstreamFailed: Boolean(row.upstream_failed),
});

/** Usage records: appended in batches by the proxy, read by grant. */
export function createUsageStore(db: Database) {
  return {
    /**
     * Inserts a batch; a record already stored (same id, a retried batch) is skipped.
     * Records not counted by a reservation (grants without caps) are charged into the
     * ledger in the same transaction, each once: only the records this call inserted.
     */
    async insertMany(records: readonly UsageRecord[]): Promise<void> {
      if (records.length === 0) return;
      if (db.engine === 'sqlite') {
        await inPreparedSqliteTransaction(db, prepareUsage, (st) => {
          const inserted = records.filter((r) => st.insert.run(...sqliteValues(r)).changes === 1);
          const unreserved = unreservedCharges(inserted);
          // The records' grants and their ancestors, each read once.
          const grants = new Map<string, GrantPeriodOf>();
          for (const { record } of unreserved) {
            for (let id: string | null = record.grantId, hops = 0; id !== null && hops <= 32; hops++) {
              const known = grants.get(id);
              if (known) {
                id = known.parent;
                continue;
              }
              const row = st.grant.get(id);
              if (!row) break;
              const grant = grantPeriodOfRow(row);
              grants.set(id, grant);
              id = grant.parent;
            }
          }
          for (const sum of counterSums(unreserved, grants))
            st.charge.run(sum.grant_id, sum.scope, sum.period, sum.requests, sum.tokens, sum.micro_usd);
        });
        return;
      }
      await db.transaction(async (trx) => {
        const inserted: Array<{ id: string } | string> = await trx('usage_records')
          .insert(records.map(toRow))
          .onConflict('id')
          .ignore()
          .returning('id');
        const ids = new Set(inserted.map((r) => (typeof r === 'string' ? r : String(r.id))));
        await chargeLedger(
          trx,
          records.filter((r) => ids.has(r.id)),
        );
      });
    },

    /** A grant's records, oldest first. */
    async forGrant(grantId: string): Promise<UsageRecord[]> {
      const rows = await db('usage_records').where({ grant_id: grantId }).orderBy('created_at').orderBy('id');
      return rows.map(usageRecordFromRow);
    },
  };
}

export type UsageStore = ReturnType<typeof createUsageStore>;
