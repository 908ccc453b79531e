import type { Knex } from 'knex';
import { isProvider, type Provider, providerDisplayName } from '../scopes/index.ts';
import type { Counters } from './budget-decision.ts';
import { countersOf } from './budget-queries.ts';
import type { Clock } from './clock.ts';
import type { Database } from './create-database.ts';
import { appendGrantEvent } from './grant-event-store.ts';
import {
  CAP_KEYS,
  type Caps,
  capsHaveAny,
  capsOfRow,
  capsToRow,
  type GrantLimits,
  NO_LIMITS,
  type Scope,
} from './grant-limits.ts';
import { usagePeriod } from './limit-period.ts';
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
  /** Token exchange (RFC 8693): the grant this child was carved from; null for one the person approved. */
  parentGrantId: string | null;
  /** 0 for a grant the person approved, its parent's depth + 1 for a child. */
  depth: number;
  /** A child's RFC 8693 `act` claim (the sub-agent, nested for deeper chains). */
  act: Record<string, unknown> | null;
}

export type { Caps, GrantLimits } from './grant-limits.ts';

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
  parent_grant_id?: string | null;
  depth?: number | string | null;
  act?: string | null;
}

const toRecord = (r: GrantRow, providers: Partial<Record<Provider, Caps>> = {}): GrantRecord => ({
  id: r.id,
  accountId: r.account_id,
  clientId: r.client_id,
  scopes: r.scopes.split(' ').filter(Boolean),
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  revokedReason: r.revoked_reason,
  limits: limitsOfRow(r, providers),
  parentGrantId: r.parent_grant_id ?? null,
  depth: Number(r.depth ?? 0),
  act: r.act ? (JSON.parse(r.act) as Record<string, unknown>) : null,
});

/** What `lowerLimits` takes: the whole grant's caps, and each provider's. */
export type LowerLimits = Partial<Caps> & { providers?: Partial<Record<Provider, Partial<Caps>>> };

/** The limit columns of a `grants` row (the whole grant's caps), with the providers' caps if given. */
export const limitsOfRow = (
  r:
    | Pick<
        GrantRow,
        'max_requests' | 'max_tokens' | 'max_spend_micro_usd' | 'limit_period' | 'requests_per_minute'
      >
    | Record<string, unknown>,
  providers: Partial<Record<Provider, Caps>> = {},
): GrantLimits => ({
  ...capsOfRow(r as Record<string, unknown>),
  limitPeriod: r.limit_period === 'month' ? 'month' : 'lifetime',
  providers,
});

/** The per-provider caps of some grants, by grant id. */
export async function providerLimitsOf(
  db: Knex | Knex.Transaction,
  grantIds: readonly string[],
): Promise<Map<string, Partial<Record<Provider, Caps>>>> {
  const byGrant = new Map<string, Partial<Record<Provider, Caps>>>();
  for (let i = 0; i < grantIds.length; i += 500) {
    const rows = await db('grant_provider_limits').whereIn('grant_id', grantIds.slice(i, i + 500));
    for (const row of rows) {
      if (!isProvider(String(row.provider))) continue;
      const caps = byGrant.get(String(row.grant_id)) ?? {};
      caps[row.provider as Provider] = capsOfRow(row);
      byGrant.set(String(row.grant_id), caps);
    }
  }
  return byGrant;
}

/** Mandate's own record of each grant: what the person allowed, until when, and its fate. */
export function createGrantStore(db: Database, clock: Clock, revocations: RevocationStore) {
  async function withProviders(rows: GrantRow[], trx: Knex | Knex.Transaction = db): Promise<GrantRecord[]> {
    if (rows.length === 0) return [];
    const providers = await providerLimitsOf(
      trx,
      rows.map((r) => r.id),
    );
    return rows.map((r) => toRecord(r, providers.get(r.id)));
  }

  return {
    /** Records a grant; false (nothing written) for a child whose parent is no longer live. */
    async record(grant: {
      id: string;
      accountId: string;
      clientId: string;
      scopes: string[];
      expiresAt: number;
      limits?: GrantLimits;
      /**
       * A child grant of token exchange: its parent, depth and `act` claim, and how many
       * live children the parent may have at most (this one included).
       */
      child?: {
        parentGrantId: string;
        depth: number;
        act: Record<string, unknown>;
        maxLiveChildren?: number;
      };
    }): Promise<boolean | 'too_many_children'> {
      const limits = grant.limits ?? NO_LIMITS;
      const providerRows = Object.entries(limits.providers ?? {})
        .filter((entry): entry is [Provider, Caps] => entry[1] !== undefined && capsHaveAny(entry[1]))
        .map(([provider, caps]) => ({ grant_id: grant.id, provider, ...capsToRow(caps) }));
      return db.transaction(async (trx) => {
        if (grant.child) {
          // The parent must be live when its child is written: a no-op write to its row
          // (a row lock on PostgreSQL, SQLite's write lock) orders this after any revocation
          // of it, which then revokes the child too, or before it, when it is refused.
          const live = await trx('grants')
            .where({ id: grant.child.parentGrantId })
            .whereNull('revoked_at')
            .where('expires_at', '>', clock())
            .update({ revoked_at: null });
          if (live === 0) return false;
          // Counted under that lock: concurrent exchanges cannot pass the bound together.
          if (grant.child.maxLiveChildren !== undefined) {
            const row = await trx('grants')
              .where({ parent_grant_id: grant.child.parentGrantId })
              .whereNull('revoked_at')
              .where('expires_at', '>', clock())
              .count({ n: '*' })
              .first();
            if (Number(row?.n ?? 0) >= grant.child.maxLiveChildren) return 'too_many_children';
          }
        }
        await trx('grants').insert({
          id: grant.id,
          account_id: grant.accountId,
          client_id: grant.clientId,
          scopes: grant.scopes.join(' '),
          created_at: clock(),
          expires_at: grant.expiresAt,
          ...capsToRow(limits),
          limit_period: limits.limitPeriod,
          ...(grant.child
            ? {
                parent_grant_id: grant.child.parentGrantId,
                depth: grant.child.depth,
                act: JSON.stringify(grant.child.act),
              }
            : {}),
        });
        if (providerRows.length > 0) await trx('grant_provider_limits').insert(providerRows);
        if (grant.child) {
          // Both audit trails say so: the parent's names the child, the child's its parent.
          const terms = { act: grant.child.act, scopes: grant.scopes, limits, expiresAt: grant.expiresAt };
          const who = { accountId: grant.accountId, clientId: grant.clientId, kind: 'delegated' as const };
          await appendGrantEvent(trx, clock, {
            ...who,
            grantId: grant.child.parentGrantId,
            detail: { child: grant.id, ...terms },
          });
          await appendGrantEvent(trx, clock, {
            ...who,
            grantId: grant.id,
            detail: { parent: grant.child.parentGrantId, ...terms },
          });
        }
        return true;
      });
    },

    /** What a grant has been charged so far in its current period, per scope ('*' and each provider). */
    async chargedNow(grant: Pick<GrantRecord, 'id' | 'createdAt' | 'limits'>): Promise<Map<Scope, Counters>> {
      const period = usagePeriod(grant.limits.limitPeriod, grant.createdAt, clock()).key;
      const rows = await db('grant_counters').where({ grant_id: grant.id, period });
      return new Map(rows.map((row) => [String(row.scope) as Scope, countersOf(row, '').total]));
    },

    /** One grant with its providers' caps, in one query (the proxy reads it on first sight). */
    async find(id: string): Promise<GrantRecord | undefined> {
      const rows: Record<string, unknown>[] = await db('grants as g')
        .leftJoin('grant_provider_limits as l', 'l.grant_id', 'g.id')
        .where('g.id', id)
        .select(
          'g.*',
          'l.provider as l_provider',
          'l.max_requests as l_max_requests',
          'l.max_tokens as l_max_tokens',
          'l.max_spend_micro_usd as l_max_spend_micro_usd',
          'l.requests_per_minute as l_requests_per_minute',
        );
      const first = rows[0];
      if (!first) return undefined;
      const providers: Partial<Record<Provider, Caps>> = {};
      for (const row of rows)
        if (typeof row.l_provider === 'string' && isProvider(row.l_provider))
          providers[row.l_provider] = capsOfRow(row, 'l_');
      return toRecord(first as unknown as GrantRow, providers);
    },

    /** A grant and its ancestors (token exchange), the grant first; empty when it is unknown. */
    async chain(id: string): Promise<GrantRecord[]> {
      const out: GrantRecord[] = [];
      for (let next: string | null = id; next !== null && out.length <= 32; ) {
        const found: GrantRecord | undefined = await this.find(next);
        if (!found) break;
        out.push(found);
        next = found.parentGrantId;
      }
      return out;
    },

    /** Whether tokens of this grant may be honoured right now. */
    async isLive(id: string): Promise<boolean> {
      const row = await db('grants').where({ id }).first('revoked_at', 'expires_at');
      return Boolean(row) && row.revoked_at === null && Number(row.expires_at) > clock();
    },

    /** The child grants carved from a grant (token exchange), live or not, newest first. */
    async children(parentGrantId: string): Promise<GrantRecord[]> {
      const rows = await db('grants').where({ parent_grant_id: parentGrantId }).orderBy('created_at', 'desc');
      return withProviders(rows);
    },

    /** Live grants of one person, newest first. */
    async listLiveForAccount(accountId: string): Promise<GrantRecord[]> {
      // Children of token exchange are shown under their parent's app page, not as apps.
      const rows = await db('grants')
        .where({ account_id: accountId })
        .whereNull('parent_grant_id')
        .whereNull('revoked_at')
        .where('expires_at', '>', clock())
        .orderBy('created_at', 'desc');
      return withProviders(rows);
    },

    async list({
      accountId,
      clientId,
      includeEnded = false,
      rootsOnly = false,
    }: {
      accountId?: string;
      clientId?: string;
      includeEnded?: boolean;
      /** Only grants the person approved, not the children carved from them by token exchange. */
      rootsOnly?: boolean;
    } = {}) {
      const q = db('grants').orderBy('created_at', 'desc');
      if (rootsOnly) q.whereNull('parent_grant_id');
      if (accountId) q.where({ account_id: accountId });
      if (clientId) q.where({ client_id: clientId });
      if (!includeEnded) q.whereNull('revoked_at').where('expires_at', '>', clock());
      return withProviders(await q);
    },

    /**
     * Lowers limits of a live grant, and logs the change so proxies enforce it on the next
     * request. The flat caps are the whole grant's, `providers` each provider's own. Each
     * given limit must be at or below the current one (a limit where there was none lowers
     * it from unlimited); `undefined` keeps a limit as it is. The period never changes.
     * A lowered cap counts the period's usage so far (the counters are the one ledger).
     * A change is appended to the grant's audit trail ('narrowed', old and new values,
     * and `by` whom; provider caps under `providers`) in the same transaction. Returns
     * the grant as it now stands, or a reason it was refused.
     */
    lowerLimits(id: string, next: LowerLimits, by?: string) {
      return changeLimits(id, next, 'lower', by);
    },

    /**
     * Raises limits of a live grant, as the person approved on a raise request's consent
     * page: the same grant, so everything already spent still counts against the raised
     * caps. Each given limit must be at or above the current one and the grant must
     * already have it (a raise never adds a cap, and never removes one). Logged like a
     * lowering, appended to the trail as 'raised' with old and new values.
     */
    raiseLimits(id: string, next: LowerLimits, by?: string) {
      return changeLimits(id, next, 'raise', by);
    },

    /** Grants that reached their expiry are logged as revoked ('expired') so proxies drop them. */
    async revokeExpired(): Promise<number> {
      const rows = await db('grants').whereNull('revoked_at').where('expires_at', '<=', clock()).select('id');
      for (const { id } of rows) await revocations.revokeGrant(id, 'expired');
      return rows.length;
    },
  };

  async function changeLimits(
    id: string,
    next: LowerLimits,
    direction: 'lower' | 'raise',
    by?: string,
  ): Promise<{ ok: true; grant: GrantRecord } | { ok: false; reason: string }> {
    return db.transaction(async (trx) => {
      const query = trx('grants').where({ id });
      if (db.engine === 'pg') query.forUpdate();
      const row = await query.first();
      if (!row || row.revoked_at !== null || Number(row.expires_at) <= clock())
        return { ok: false as const, reason: 'the grant is no longer live' };
      const current = (await withProviders([row], trx))[0]?.limits as GrantLimits;

      type Diff = { update: Caps; from: Partial<Caps>; to: Partial<Caps>; changed: boolean };
      const change = (was: Caps, wanted: Partial<Caps>, label: string): Diff | string => {
        const diff: Diff = { update: { ...was }, from: {}, to: {}, changed: false };
        for (const key of CAP_KEYS) {
          const value = wanted[key];
          if (value === undefined || value === null) continue;
          if (!Number.isSafeInteger(value) || value < 1) return `${label}${key} must be a positive integer`;
          const old = was[key];
          if (direction === 'lower' && old !== null && value > old)
            return `${label}${key} can only be lowered (now ${old})`;
          if (direction === 'raise' && old === null) return `${label}${key} has no limit to raise`;
          if (direction === 'raise' && old !== null && value < old)
            return `${label}${key} can only be raised (now ${old})`;
          if (value !== old) {
            diff.update[key] = value;
            diff.from[key] = old;
            diff.to[key] = value;
            diff.changed = true;
          }
        }
        return diff;
      };

      const whole = change(current, next, '');
      if (typeof whole === 'string') return { ok: false as const, reason: whole };
      const providers: Partial<Record<Provider, Diff>> = {};
      for (const [provider, wanted] of Object.entries(next.providers ?? {})) {
        if (!isProvider(provider)) return { ok: false as const, reason: `unknown provider ${provider}` };
        if (!wanted) continue;
        const was = current.providers?.[provider] ?? {
          maxRequests: null,
          maxTokens: null,
          maxSpendMicroUsd: null,
          requestsPerMinute: null,
        };
        const diff = change(was, wanted, `${providerDisplayName(provider)} `);
        if (typeof diff === 'string') return { ok: false as const, reason: diff };
        if (diff.changed) providers[provider] = diff;
      }
      const changedProviders = Object.entries(providers) as Array<[Provider, Diff]>;
      if (!whole.changed && changedProviders.length === 0)
        return { ok: true as const, grant: toRecord(row, current.providers) };

      if (whole.changed) await trx('grants').where({ id }).update(capsToRow(whole.update));
      const nowProviders = { ...current.providers };
      for (const [provider, diff] of changedProviders) {
        await trx('grant_provider_limits')
          .insert({ grant_id: id, provider, ...capsToRow(diff.update) })
          .onConflict(['grant_id', 'provider'])
          .merge();
        nowProviders[provider] = diff.update;
      }
      await revocations.logGrantChange(trx, id, direction === 'lower' ? 'limits_lowered' : 'limits_raised');
      const detail: Record<string, unknown> = { from: whole.from, to: whole.to };
      if (changedProviders.length > 0)
        detail.providers = Object.fromEntries(
          changedProviders.map(([provider, diff]) => [provider, { from: diff.from, to: diff.to }]),
        );
      if (by) detail.by = by;
      await appendGrantEvent(trx, clock, {
        grantId: id,
        accountId: row.account_id,
        clientId: row.client_id,
        kind: direction === 'lower' ? 'narrowed' : 'raised',
        detail,
      });
      return {
        ok: true as const,
        grant: toRecord({ ...row, ...capsToRow(whole.update) }, nowProviders),
      };
    });
  }
}

export type GrantStore = ReturnType<typeof createGrantStore>;
