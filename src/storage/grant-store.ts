import type { Clock } from './clock.ts';
import type { Database } from './create-database.ts';
import { appendGrantEvent } from './grant-event-store.ts';
import type { RevocationStore } from './revocation-store.ts';

export interface GrantRecord {
  id: string;
  accountId: string;
  clientId: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  revokedReason: string | null;
  limits: GrantLimits;
}

/** The limits the person granted, for the whole grant; null means no limit. */
export interface GrantLimits {
  maxRequests: number | null;
  maxTokens: number | null;
  maxSpendMicroUsd: number | null;
  limitPeriod: 'lifetime' | 'month';
  requestsPerMinute: number | null;
}

const NO_LIMITS: GrantLimits = {
  maxRequests: null,
  maxTokens: null,
  maxSpendMicroUsd: null,
  limitPeriod: 'lifetime',
  requestsPerMinute: null,
};

const numberOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

interface GrantRow {
  id: string;
  account_id: string;
  client_id: string;
  scopes: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
  max_requests: number | string | null;
  max_tokens: number | string | null;
  max_spend_micro_usd: number | string | null;
  limit_period: 'lifetime' | 'month';
  requests_per_minute: number | null;
}

const toRecord = (r: GrantRow): GrantRecord => ({
  id: r.id,
  accountId: r.account_id,
  clientId: r.client_id,
  scopes: r.scopes.split(' ').filter(Boolean),
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  revokedReason: r.revoked_reason,
  limits: limitsOfRow(r),
});

/** The limit columns of a `grants` row. */
export const limitsOfRow = (
  r:
    | Pick<
        GrantRow,
        'max_requests' | 'max_tokens' | 'max_spend_micro_usd' | 'limit_period' | 'requests_per_minute'
      >
    | Record<string, unknown>,
): GrantLimits => ({
  maxRequests: numberOrNull(r.max_requests),
  maxTokens: numberOrNull(r.max_tokens),
  maxSpendMicroUsd: numberOrNull(r.max_spend_micro_usd),
  limitPeriod: r.limit_period === 'month' ? 'month' : 'lifetime',
  requestsPerMinute: numberOrNull(r.requests_per_minute),
});

/** Mandate's own record of each grant: what the person allowed, until when, and its fate. */
export function createGrantStore(db: Database, clock: Clock, revocations: RevocationStore) {
  return {
    async record(grant: {
      id: string;
      accountId: string;
      clientId: string;
      scopes: string[];
      expiresAt: number;
      limits?: GrantLimits;
    }) {
      const limits = grant.limits ?? NO_LIMITS;
      await db('grants').insert({
        id: grant.id,
        account_id: grant.accountId,
        client_id: grant.clientId,
        scopes: grant.scopes.join(' '),
        created_at: clock(),
        expires_at: grant.expiresAt,
        max_requests: limits.maxRequests,
        max_tokens: limits.maxTokens,
        max_spend_micro_usd: limits.maxSpendMicroUsd,
        limit_period: limits.limitPeriod,
        requests_per_minute: limits.requestsPerMinute,
      });
    },

    async find(id: string): Promise<GrantRecord | undefined> {
      const row = await db('grants').where({ id }).first();
      return row ? toRecord(row) : undefined;
    },

    /** Whether tokens of this grant may be honoured right now. */
    async isLive(id: string): Promise<boolean> {
      const row = await db('grants').where({ id }).first('revoked_at', 'expires_at');
      return Boolean(row) && row.revoked_at === null && Number(row.expires_at) > clock();
    },

    /** Live grants of one person, newest first. */
    async listLiveForAccount(accountId: string): Promise<GrantRecord[]> {
      const rows = await db('grants')
        .where({ account_id: accountId })
        .whereNull('revoked_at')
        .where('expires_at', '>', clock())
        .orderBy('created_at', 'desc');
      return rows.map(toRecord);
    },

    async list({
      accountId,
      clientId,
      includeEnded = false,
    }: {
      accountId?: string;
      clientId?: string;
      includeEnded?: boolean;
    } = {}) {
      const q = db('grants').orderBy('created_at', 'desc');
      if (accountId) q.where({ account_id: accountId });
      if (clientId) q.where({ client_id: clientId });
      if (!includeEnded) q.whereNull('revoked_at').where('expires_at', '>', clock());
      return (await q).map(toRecord);
    },

    /**
     * Lowers limits of a live grant, and logs the change so proxies enforce it on the next
     * request. Each given limit must be at or below the current one (a limit where there
     * was none lowers it from unlimited); `undefined` keeps a limit as it is. The period
     * never changes. A change is appended to the grant's audit trail ('narrowed', old and
     * new values, and `by` whom) in the same transaction. Returns the grant as it now
     * stands, or a reason it was refused.
     */
    async lowerLimits(
      id: string,
      next: Partial<Omit<GrantLimits, 'limitPeriod'>>,
      by?: string,
    ): Promise<{ ok: true; grant: GrantRecord } | { ok: false; reason: string }> {
      return db.transaction(async (trx) => {
        const query = trx('grants').where({ id });
        if (db.engine === 'pg') query.forUpdate();
        const row = await query.first();
        if (!row || row.revoked_at !== null || Number(row.expires_at) <= clock())
          return { ok: false as const, reason: 'the grant is no longer live' };
        const current = toRecord(row).limits;
        const columns = {
          maxRequests: 'max_requests',
          maxTokens: 'max_tokens',
          maxSpendMicroUsd: 'max_spend_micro_usd',
          requestsPerMinute: 'requests_per_minute',
        } as const;
        const update: Record<string, number> = {};
        const from: Partial<Record<keyof typeof columns, number | null>> = {};
        const to: Partial<Record<keyof typeof columns, number>> = {};
        for (const [key, column] of Object.entries(columns) as Array<[keyof typeof columns, string]>) {
          const value = next[key];
          if (value === undefined || value === null) continue;
          if (!Number.isSafeInteger(value) || value < 1)
            return { ok: false as const, reason: `${key} must be a positive integer` };
          const was = current[key];
          if (was !== null && value > was)
            return { ok: false as const, reason: `${key} can only be lowered (now ${was})` };
          if (value !== was) {
            update[column] = value;
            from[key] = was;
            to[key] = value;
          }
        }
        if (Object.keys(update).length > 0) {
          await trx('grants').where({ id }).update(update);
          await revocations.logGrantChange(trx, id, 'limits_lowered');
          await appendGrantEvent(trx, clock, {
            grantId: id,
            accountId: row.account_id,
            clientId: row.client_id,
            kind: 'narrowed',
            detail: { from, to, ...(by ? { by } : {}) },
          });
        }
        return { ok: true as const, grant: toRecord({ ...row, ...update }) };
      });
    },

    /** Grants that reached their expiry are logged as revoked ('expired') so proxies drop them. */
    async revokeExpired(): Promise<number> {
      const rows = await db('grants').whereNull('revoked_at').where('expires_at', '<=', clock()).select('id');
      for (const { id } of rows) await revocations.revokeGrant(id, 'expired');
      return rows.length;
    },
  };
}

export type GrantStore = ReturnType<typeof createGrantStore>;
