import type { Knex } from 'knex';
import type { Provider } from '../scopes/index.ts';
import {
  type Amounts,
  type CapName,
  type Counters,
  decideBudget,
  type Refusal,
  type ScopeState,
  type SizeReservation,
} from './budget-decision.ts';
import { countersOf, GRANT_AND_COUNTERS, MOVE_COUNTERS } from './budget-queries.ts';
import type { Clock } from './clock.ts';
import type { Database } from './create-database.ts';
import { appendGrantEvent } from './grant-event-store.ts';
import { capsOf, capsOfRow, type GrantLimits, type Scope, WHOLE } from './grant-limits.ts';
import { limitsOfRow } from './grant-store.ts';
import { usagePeriod } from './limit-period.ts';
import { createRevocationStore } from './revocation-store.ts';
import { inSqliteTransaction } from './sqlite-budget-statements.ts';

export type { Amounts, CapName, Refusal, Remaining, SizeReservation } from './budget-decision.ts';
export { hasCaps } from './grant-limits.ts';

export interface Reservation {
  id: string;
  grantId: string;
  provider: Provider;
  period: string;
  /** One for a request's own reservation; a lease's slice holds several. */
  requests: number;
  tokens: number;
  microUsd: number;
}

/** What a reaped reservation's usage record says about the request (no prompt, no key). */
export interface ReservationNote {
  /** Set on a lease's row: its reservation is a slice of several requests (see lease-pool.ts). */
  lease?: true;
  clientId: string;
  accountId: string;
  provider: string;
  model: string | null;
  capability: string;
}

/** A reaped reservation: the note plus the tokens it reserved. */
export interface ReapedReservation extends Omit<Reservation, 'provider'> {
  provider: string | null;
  note: (ReservationNote & { inputTokens: number; outputTokens: number }) | null;
  createdAt: number;
}

/** One scope's counters in one period, as the ledger holds them. */
export interface LedgerEntry {
  scope: Scope;
  period: string;
  /** Settled usage plus open reservations: what the caps are checked against. */
  charged: Counters;
  /** Of `charged`, what requests still in flight hold (their worst case). */
  open: Counters;
  /** Of `charged`, what finished requests used. */
  settled: Counters;
}

/** One `grant_counters` row as a ledger entry: charged, its open part, and what settled. */
export function ledgerEntryOf(row: Record<string, unknown>): LedgerEntry {
  const { total, open } = countersOf(row, '');
  return {
    scope: String(row.scope) as Scope,
    period: String(row.period),
    charged: total,
    open,
    settled: {
      requests: total.requests - open.requests,
      tokens: total.tokens - open.tokens,
      microUsd: total.microUsd - open.microUsd,
    },
  };
}

const MINUTE = 60_000;
/** A lease's reservation id starts so (a request's is its request id, a UUID). */
export const LEASE_ID_PREFIX = 'lease-';
/** What the locked path answers for a child grant: take the chained path. */
const CHAINED = Symbol('chained');

/** The counter rows a reservation moved: its grant's, and its ancestors' (a child of token exchange). */
function countedRows(row: Record<string, unknown>): Array<readonly [string, string]> {
  const own = [String(row.grant_id), String(row.period)] as const;
  if (typeof row.ancestors !== 'string') return [own];
  return [own, ...(JSON.parse(row.ancestors) as Array<[string, string]>)];
}

/**
 * Caps that hold under any concurrency, across processes. Every request of a grant
 * with caps reserves its worst case in one transaction that locks both counter rows it
 * counts in, the whole grant's and its provider's (PostgreSQL `FOR UPDATE`; SQLite has
 * one writer), reads the grant's current limits, and admits the reservation only if
 * each scope's counters plus it stay within that scope's caps. The counters always
 * include open reservations (and say how much of them is open), so concurrent requests
 * can never together exceed a cap; settling replaces the reserved amounts by the real ones.
 */
export function createBudgetStore(db: Database, clock: Clock) {
  const revocations = createRevocationStore(db, clock);
  const scopesOf = (
    limits: GrantLimits,
    provider: Provider,
    whole: { total: Counters; open: Counters },
    mine: { total: Counters; open: Counters },
  ): ScopeState[] => [
    { scope: WHOLE, caps: capsOf(limits, WHOLE), ...whole },
    { scope: provider, caps: capsOf(limits, provider), ...mine },
  ];

  /** The limits in a `GRANT_AND_COUNTERS` row: the whole grant's, and the one provider's. */
  const limitsOfJoined = (row: Record<string, unknown>, provider: Provider): GrantLimits =>
    limitsOfRow(
      row,
      row.l_grant_id === null || row.l_grant_id === undefined ? {} : { [provider]: capsOfRow(row, 'l_') },
    );

  const perMinuteOf = (limits: GrantLimits, provider: Provider) => ({
    whole: limits.requestsPerMinute,
    provider: capsOf(limits, provider).requestsPerMinute,
  });

  /** Creates the two counter rows if needed and locks them, '*' first (one lock order everywhere). */
  async function lockCounters(trx: Knex.Transaction, grantId: string, provider: Provider, period: string) {
    // Inserting first makes this a write transaction from its first statement, so two
    // SQLite processes never deadlock upgrading a read lock, and PostgreSQL has rows to lock.
    await trx('grant_counters')
      .insert([
        { grant_id: grantId, scope: WHOLE, period },
        { grant_id: grantId, scope: provider, period },
      ])
      .onConflict(['grant_id', 'scope', 'period'])
      .ignore();
    const query = trx('grant_counters')
      .where({ grant_id: grantId, period })
      .whereIn('scope', [WHOLE, provider])
      .orderBy('scope');
    if (db.engine === 'pg') query.forUpdate();
    const rows: Record<string, unknown>[] = await query;
    const of = (scope: Scope) => countersOf(rows.find((r) => r.scope === scope) ?? {}, '');
    return { whole: of(WHOLE), mine: of(provider) };
  }

  /**
   * The audit trail says once per cap, scope and period that a cap was reached (the
   * first refusal; under the counter lock, so concurrent refusals write one event).
   */
  async function noteCapReached(
    trx: Knex.Transaction,
    grant: Record<string, unknown>,
    limit: CapName,
    period: string,
    scope: Scope,
  ): Promise<void> {
    const said = scope === WHOLE ? { limit, period } : { limit, period, scope };
    const detail = JSON.stringify(said);
    const seen = await trx('grant_events')
      .where({ grant_id: grant.id, kind: 'cap_reached', detail })
      .first('seq');
    if (seen) return;
    await appendGrantEvent(trx, clock, {
      grantId: String(grant.id),
      accountId: String(grant.account_id),
      clientId: String(grant.client_id),
      kind: 'cap_reached',
      detail: said,
    });
  }

  /** Requests per minute, as a sliding window over the admissions of the last minute. */
  async function rateRefusal(
    trx: Knex.Transaction,
    grantId: string,
    provider: Provider | undefined,
    perMinute: number,
    now: number,
  ): Promise<Refusal | undefined> {
    // Full when the perMinute-th newest admission is still inside the window; a place frees
    // when it turns a minute old.
    const query = trx('rate_admissions')
      .where({ grant_id: grantId })
      .where('admitted_at', '>', now - MINUTE);
    if (provider) query.where({ provider });
    const nth = await query
      .orderBy('admitted_at', 'desc')
      .offset(perMinute - 1)
      .first('admitted_at');
    if (!nth) return undefined;
    const freesAt = Number(nth.admitted_at) + MINUTE;
    return {
      kind: 'rate',
      retryAfterMs: Math.max(1, freesAt - now),
      limit: perMinute,
      scope: provider ?? WHOLE,
    };
  }

  type ReserveArgs<S> = {
    id: string;
    grantId: string;
    /** The provider the request goes to: its caps and counters count it too. */
    provider: Provider;
    proxyId: string;
    note: ReservationNote;
    size: SizeReservation<S>;
    /**
     * A lease's slice (`size` then gives `requests`): refused as `no_slice` where slices
     * cannot be taken (a per-minute limit anywhere in the grant's chain: each admission
     * must be timed).
     */
    lease?: boolean;
  };
  type ReserveResult<S> =
    | {
        ok: true;
        reservation: Reservation;
        sized: S;
        limits: GrantLimits;
        /** When the period it counts in ends (the earliest of its chain's); null: never. */
        resetsAt: number | null;
        /** The grants it also counts in (a child of token exchange's ancestors), root first. */
        ancestors: readonly string[];
      }
    | { ok: false; refusal: Refusal; limits: GrantLimits | undefined };

  const COLUMNS = [
    'id',
    'grant_id',
    'provider',
    'period',
    'requests',
    'tokens',
    'micro_usd',
    'proxy_id',
    'created_at',
    'record',
  ] as const;
  const columnList = COLUMNS.join(', ');
  const placeholders = COLUMNS.map(() => '?').join(', ');
  const INSERT_RESERVATION = `insert into reservations (${columnList}) values (${placeholders})`;
  /** Typed, for a SELECT list (PostgreSQL cannot infer a parameter's type there). */
  const typedPlaceholders = COLUMNS.map((c) =>
    ['requests', 'tokens', 'micro_usd', 'created_at'].includes(c) ? '?::bigint' : '?::text',
  ).join(', ');
  const valuesOf = (row: ReturnType<typeof reservationRow>) => COLUMNS.map((c) => row[c]);

  /** The reservation row of an admitted request. */
  const reservationRow = (args: ReserveArgs<unknown>, period: string, amounts: Amounts, now: number) => ({
    id: args.id,
    grant_id: args.grantId,
    provider: args.provider,
    period,
    requests: amounts.requests ?? 1,
    tokens: amounts.tokens,
    micro_usd: amounts.microUsd,
    proxy_id: args.proxyId,
    created_at: now,
    record: JSON.stringify({
      ...args.note,
      inputTokens: amounts.inputTokens ?? 0,
      outputTokens: amounts.tokens - (amounts.inputTokens ?? 0),
    }),
  });

  const admitted = <S>(
    args: ReserveArgs<S>,
    period: string,
    row: { requests: number; tokens: number; micro_usd: number },
    sized: S,
    limits: GrantLimits,
    resetsAt: number | null,
    ancestors: readonly string[] = [],
  ) => ({
    ok: true as const,
    resetsAt,
    ancestors,
    reservation: {
      id: args.id,
      grantId: args.grantId,
      provider: args.provider,
      period,
      requests: row.requests,
      tokens: row.tokens,
      microUsd: row.micro_usd,
    },
    sized,
    limits,
  });

  /**
   * The common case, from a grant joined with its counter rows (`GRANT_AND_COUNTERS`): the
   * decision and the reservation row, or undefined for everything the locked path answers
   * (no such rows, a grant gone, a per-minute limit, a refusal).
   */
  function planFrom<S>(grant: Record<string, unknown> | undefined, args: ReserveArgs<S>, now: number) {
    if (!grant || grant.revoked_at !== null || Number(grant.expires_at) <= now) return undefined;
    // A child of token exchange counts on its ancestors too: the locked path only.
    if (grant.parent_grant_id !== null && grant.parent_grant_id !== undefined) return undefined;
    const limits = limitsOfJoined(grant, args.provider);
    const rate = perMinuteOf(limits, args.provider);
    if (rate.whole !== null || rate.provider !== null) return undefined;
    const { key: period, resetsAt } = usagePeriod(limits.limitPeriod, Number(grant.created_at), now);
    const scopes = scopesOf(limits, args.provider, countersOf(grant, 'c_'), countersOf(grant, 'p_'));
    const decided = decideBudget(scopes, args.size, resetsAt);
    if (!decided.ok) return undefined;
    return { limits, period, resetsAt, decided, row: reservationRow(args, period, decided.amounts, now) };
  }

  const joinedParams = (now: number, args: ReserveArgs<unknown>) => [
    usagePeriod('month', 0, now).key,
    args.provider,
    args.provider,
    args.grantId,
  ];

  /** Whether both caps of a counter row still hold with one more request of `?` tokens and `?` µ$. */
  const CAPS_HOLD = (cap: string, used: string) =>
    `(case when c.scope = '*' then g.${cap} else l.${cap} end is null
      or c.${used} + ? <= case when c.scope = '*' then g.${cap} else l.${cap} end)`;

  /**
   * PostgreSQL, the common case: no lock held across round trips. Read the grant and its
   * counters (one query), size the request, then one statement adds it to both counter
   * rows only if every cap of each still holds (checked by the database against the rows
   * as they are then, with the limits as they are then) and inserts the reservation if
   * both moved. If only one could move, the statement fails (a division by zero) and so
   * writes nothing; if another request took the room meanwhile, read and try again.
   * Anything else (no counter rows yet, a per-minute limit, a refusal to confirm and
   * record) goes the locked way. Undefined: take the locked way.
   */
  async function reserveOptimistically<S>(args: ReserveArgs<S>): Promise<ReserveResult<S> | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = clock();
      const { rows } = await db.raw(GRANT_AND_COUNTERS, joinedParams(now, args));
      const plan = planFrom(rows[0] as Record<string, unknown> | undefined, args, now);
      if (!plan) return undefined;
      const { limits, period, resetsAt, decided, row } = plan;
      let inserted: unknown[];
      try {
        ({ rows: inserted } = await db.raw(
          `with counted as (
             update grant_counters c
             set requests = c.requests + ?, tokens = c.tokens + ?, micro_usd = c.micro_usd + ?,
                 open_requests = c.open_requests + ?, open_tokens = c.open_tokens + ?,
                 open_micro_usd = c.open_micro_usd + ?
             from grants g left join grant_provider_limits l on l.grant_id = g.id and l.provider = ?
             where c.grant_id = ? and c.period = ? and c.scope in ('*', ?) and g.id = c.grant_id
               and g.revoked_at is null and g.expires_at > ? and g.limit_period = ?
               and g.requests_per_minute is null and l.requests_per_minute is null
               and ${CAPS_HOLD('max_requests', 'requests')}
               and ${CAPS_HOLD('max_tokens', 'tokens')}
               and ${CAPS_HOLD('max_spend_micro_usd', 'micro_usd')}
             returning c.scope
           ), moved as (select count(*) as n from counted)
           insert into reservations (${columnList})
           select ${typedPlaceholders} from moved where 1 / (moved.n - 1) = 1
           returning id`,
          [
            row.requests,
            row.tokens,
            row.micro_usd,
            row.requests,
            row.tokens,
            row.micro_usd,
            args.provider,
            args.grantId,
            period,
            args.provider,
            now,
            limits.limitPeriod,
            row.requests,
            row.tokens,
            row.micro_usd,
            ...valuesOf(row),
          ],
        ));
      } catch (err) {
        // One row moved and not the other (division_by_zero), or two statements crossed
        // (deadlock_detected): nothing was written; decide again.
        const code = (err as { code?: string }).code;
        if (code === '22012' || code === '40P01') continue;
        throw err;
      }
      if (inserted.length === 1) return admitted(args, period, row, decided.sized, limits, resetsAt);
    }
    return undefined;
  }

  /** `MOVE_COUNTERS` parameters that add a new reservation to both rows, total and open part. */
  const takeParams = (args: ReserveArgs<unknown>, period: string, row: ReturnType<typeof reservationRow>) =>
    [
      row.requests,
      row.tokens,
      row.micro_usd,
      row.requests,
      row.tokens,
      row.micro_usd,
      args.grantId,
      period,
      args.provider,
    ] as const;

  /**
   * SQLite, the common case: the same decision as the locked path, in one synchronous
   * `BEGIN IMMEDIATE` transaction of prepared statements (see `inSqliteTransaction`).
   * Undefined (nothing written) for a refusal, a per-minute limit or a grant's first
   * request: the locked path then answers, records `cap_reached` and creates the rows.
   */
  function reserveOnSqlite<S>(args: ReserveArgs<S>): Promise<ReserveResult<S> | undefined> {
    return inSqliteTransaction(db, INSERT_RESERVATION, (statements) => {
      const now = clock();
      const plan = planFrom(statements.grantAndCounters.get(...joinedParams(now, args)), args, now);
      if (!plan) return undefined;
      const { limits, period, resetsAt, decided, row } = plan;
      statements.moveCounters.run(...takeParams(args, period, row));
      statements.addReservation.run(...valuesOf(row));
      return admitted(args, period, row, decided.sized, limits, resetsAt);
    });
  }

  /**
   * A child grant of token exchange: the grant and every ancestor, root first, each with
   * its caps (the whole grant's, and the provider's) and its period now, in one query.
   * Undefined when one of them has ended (an expired ancestor ends its children too).
   */
  async function chainOf(q: Knex | Knex.Transaction, grantId: string, provider: Provider, now: number) {
    const rows = rowsOf(
      await q.raw(
        `with recursive chain(id, parent_grant_id, hops) as (
           select id, parent_grant_id, 0 from grants where id = ?
           union all
           select g.id, g.parent_grant_id, chain.hops + 1
           from grants g join chain on g.id = chain.parent_grant_id where chain.hops < 32
         )
         select g.*, chain.hops as chain_hops, l.grant_id as l_grant_id, l.max_requests as l_max_requests,
           l.max_tokens as l_max_tokens, l.max_spend_micro_usd as l_max_spend_micro_usd,
           l.requests_per_minute as l_requests_per_minute
         from chain join grants g on g.id = chain.id
         left join grant_provider_limits l on l.grant_id = g.id and l.provider = ?
         order by chain.hops desc`,
        [grantId, provider],
      ),
    );
    if (rows.length === 0 || rows.some((r) => r.revoked_at !== null || Number(r.expires_at) <= now))
      return undefined;
    if (rows[0]?.parent_grant_id !== null) return undefined; // an ancestor is missing
    return rows.map((row) => {
      const limits = limitsOfJoined(row, provider);
      return {
        id: String(row.id),
        row,
        limits,
        ...usagePeriod(limits.limitPeriod, Number(row.created_at), now),
      };
    });
  }

  /**
   * A child's reservation, taken on its own counters AND every ancestor's in one
   * transaction that locks all their rows in one statement (in one order: grant id, then
   * scope), so concurrent children and their parent never together pass any cap of any
   * grant in the chain. The chain and its limits are read just before, as the other
   * paths read theirs. The reservation row names the ancestors' rows (`ancestors`) so
   * settling and reaping move them too.
   */
  async function reserveChained<S>(args: ReserveArgs<S>): Promise<ReserveResult<S>> {
    const chain = await chainOf(db, args.grantId, args.provider, clock());
    if (!chain) return { ok: false as const, refusal: { kind: 'grant_gone' as const }, limits: undefined };
    const self = chain[chain.length - 1] as (typeof chain)[number];
    return db.transaction(async (trx) => {
      const now = clock();
      await trx('grant_counters')
        .insert(
          chain.flatMap((l) =>
            [WHOLE, args.provider].map((scope) => ({ grant_id: l.id, scope, period: l.key })),
          ),
        )
        .onConflict(['grant_id', 'scope', 'period'])
        .ignore();
      const query = trx('grant_counters')
        .where((w) => {
          for (const l of chain) w.orWhere((o) => o.where({ grant_id: l.id, period: l.key }));
        })
        .whereIn('scope', [WHOLE, args.provider])
        .orderBy(['grant_id', 'scope']);
      if (db.engine === 'pg') query.forUpdate();
      const counters: Record<string, unknown>[] = await query;
      const of = (id: string, scope: Scope) =>
        countersOf(counters.find((r) => r.grant_id === id && r.scope === scope) ?? {}, '');
      const scopes = chain.flatMap((l) =>
        scopesOf(l.limits, args.provider, of(l.id, WHOLE), of(l.id, args.provider)).map((s) =>
          l === self ? s : { ...s, ancestor: { resetsAt: l.resetsAt } },
        ),
      );
      const refuse = async (refusal: Refusal) => {
        if (refusal.kind === 'cap')
          await noteCapReached(trx, self.row, refusal.limit, self.key, refusal.scope ?? WHOLE);
        return { ok: false as const, refusal, limits: self.limits };
      };
      const decided = decideBudget(scopes, args.size, self.resetsAt);
      if (!decided.ok) return await refuse(decided.refusal);
      for (const [i, link] of chain.entries()) {
        const rate = perMinuteOf(link.limits, args.provider);
        if (rate.whole === null && rate.provider === null) continue;
        if (args.lease)
          return { ok: false as const, refusal: { kind: 'no_slice' as const }, limits: self.limits };
        const refused =
          (rate.whole !== null && (await rateRefusal(trx, link.id, undefined, rate.whole, now))) ||
          (rate.provider !== null && (await rateRefusal(trx, link.id, args.provider, rate.provider, now)));
        if (refused) return await refuse(refused);
        await trx('rate_admissions').insert({
          id: link === self ? args.id : `${args.id}@${i}`,
          grant_id: link.id,
          provider: args.provider,
          admitted_at: now,
        });
      }
      const row = reservationRow(args, self.key, decided.amounts, now);
      await trx('grant_counters')
        .where((w) => {
          for (const l of chain) w.orWhere((o) => o.where({ grant_id: l.id, period: l.key }));
        })
        .whereIn('scope', [WHOLE, args.provider])
        .update({
          requests: trx.raw('requests + ?', [row.requests]),
          tokens: trx.raw('tokens + ?', [row.tokens]),
          micro_usd: trx.raw('micro_usd + ?', [row.micro_usd]),
          open_requests: trx.raw('open_requests + ?', [row.requests]),
          open_tokens: trx.raw('open_tokens + ?', [row.tokens]),
          open_micro_usd: trx.raw('open_micro_usd + ?', [row.micro_usd]),
        });
      await trx('reservations').insert({
        ...row,
        ancestors: JSON.stringify(chain.slice(0, -1).map((l) => [l.id, l.key])),
      });
      const ends = chain.map((l) => l.resetsAt).filter((t): t is number => t !== null);
      return admitted(
        args,
        self.key,
        row,
        decided.sized,
        self.limits,
        ends.length === 0 ? null : Math.min(...ends),
        chain.slice(0, -1).map((l) => l.id),
      );
    });
  }

  /**
   * Every other case, and the definitive answer: one transaction that locks both counter
   * rows (PostgreSQL `FOR UPDATE`; SQLite's single writer), checks, records a refusal's
   * `cap_reached`, and writes.
   */
  async function reserveLocked<S>(args: ReserveArgs<S>): Promise<ReserveResult<S>> {
    const result = await db.transaction(async (trx): Promise<ReserveResult<S> | typeof CHAINED> => {
      const now = clock();
      const grant = await trx('grants').where({ id: args.grantId }).first();
      if (!grant || grant.revoked_at !== null || Number(grant.expires_at) <= now)
        return { ok: false as const, refusal: { kind: 'grant_gone' as const }, limits: undefined };
      if (grant.parent_grant_id !== null && grant.parent_grant_id !== undefined) return CHAINED;
      const own = await trx('grant_provider_limits')
        .where({ grant_id: args.grantId, provider: args.provider })
        .first();
      const limits = limitsOfRow(grant, own ? { [args.provider]: capsOfRow(own) } : {});
      const { key: period, resetsAt } = usagePeriod(limits.limitPeriod, Number(grant.created_at), now);
      const { whole, mine } = await lockCounters(trx, args.grantId, args.provider, period);
      const refuse = async (refusal: Refusal) => {
        if (refusal.kind === 'cap')
          await noteCapReached(trx, grant, refusal.limit, period, refusal.scope ?? WHOLE);
        return { ok: false as const, refusal, limits };
      };
      const decided = decideBudget(scopesOf(limits, args.provider, whole, mine), args.size, resetsAt);
      if (!decided.ok) return await refuse(decided.refusal);
      const rate = perMinuteOf(limits, args.provider);
      if (rate.whole !== null || rate.provider !== null) {
        if (args.lease) return { ok: false as const, refusal: { kind: 'no_slice' as const }, limits };
        const refused =
          (rate.whole !== null && (await rateRefusal(trx, args.grantId, undefined, rate.whole, now))) ||
          (rate.provider !== null &&
            (await rateRefusal(trx, args.grantId, args.provider, rate.provider, now)));
        if (refused) return await refuse(refused);
        await trx('rate_admissions').insert({
          id: args.id,
          grant_id: args.grantId,
          provider: args.provider,
          admitted_at: now,
        });
      }
      const row = reservationRow(args, period, decided.amounts, now);
      await trx.raw(MOVE_COUNTERS, takeParams(args, period, row));
      await trx.raw(INSERT_RESERVATION, valuesOf(row));
      return admitted(args, period, row, decided.sized, limits, resetsAt);
    });
    return result === CHAINED ? reserveChained(args) : result;
  }

  const rowsOf = (result: unknown): Record<string, unknown>[] =>
    // PostgreSQL answers { rows }, better-sqlite3 the rows themselves.
    Array.isArray(result) ? result : (result as { rows: Record<string, unknown>[] }).rows;

  return {
    /**
     * Takes a reservation for request `id` of a grant, or says why not. `size` decides the
     * amounts from what remains; the request count is always one.
     */
    async reserve<S>(args: ReserveArgs<S>): Promise<ReserveResult<S>> {
      const taken = db.engine === 'pg' ? await reserveOptimistically(args) : await reserveOnSqlite(args);
      if (taken) return taken;
      for (let attempt = 1; ; attempt++) {
        try {
          return await reserveLocked(args);
        } catch (err) {
          // Two locked transactions crossed on PostgreSQL: one is told so; it tries again.
          if ((err as { code?: string }).code !== '40P01' || attempt >= 3) throw err;
        }
      }
    },

    /**
     * Replaces a reservation by what the request really used (`requests` 0 releases the
     * request too), in both counter rows. Returns false when there was no open
     * reservation (the reaper took it).
     */
    async settle(
      id: string,
      actual: { requests: 0 | 1; tokens: number; microUsd: number },
    ): Promise<boolean> {
      // Deleting the reservation claims it (a reaper that got there first leaves nothing to
      // delete); the counters then move by the difference, relative, so no read is needed.
      if (db.engine === 'pg') {
        const { rows } = await db.raw(
          `with claimed as (
             delete from reservations where id = ?
             returning grant_id, period, provider, requests, tokens, micro_usd, ancestors
           ), counted as (
             select grant_id, period from claimed
             union all
             select a ->> 0, a ->> 1 from claimed, json_array_elements(claimed.ancestors::json) a
           ), locked as materialized (
             -- The rows in the one lock order (grant, scope), as reservations take them.
             select c.grant_id, c.scope, c.period from grant_counters c, claimed, counted
             where c.grant_id = counted.grant_id and c.period = counted.period
               and c.scope in ('*', coalesce(claimed.provider, '*'))
             order by c.grant_id, c.scope
             for update of c
           )
           update grant_counters c
           set requests = c.requests + ? - claimed.requests,
               tokens = c.tokens + ? - claimed.tokens,
               micro_usd = c.micro_usd + ? - claimed.micro_usd,
               open_requests = c.open_requests - claimed.requests,
               open_tokens = c.open_tokens - claimed.tokens,
               open_micro_usd = c.open_micro_usd - claimed.micro_usd
           from claimed, locked where c.grant_id = locked.grant_id and c.scope = locked.scope
             and c.period = locked.period
           returning 1`,
          [id, actual.requests, actual.tokens, actual.microUsd],
        );
        return rows.length > 0;
      }
      return inSqliteTransaction(db, INSERT_RESERVATION, (statements) => {
        const claimed = statements.claimReservation.get(id);
        if (!claimed) return false;
        for (const [grantId, period] of countedRows(claimed))
          statements.moveCounters.run(
            actual.requests - Number(claimed.requests),
            actual.tokens - Number(claimed.tokens),
            actual.microUsd - Number(claimed.micro_usd),
            -Number(claimed.requests),
            -Number(claimed.tokens),
            -Number(claimed.micro_usd),
            grantId,
            period,
            claimed.provider ?? null,
          );
        return true;
      });
    },

    /**
     * Moves a lease's row (a reservation of a slice): `used`, what requests settled out of
     * it since the last move, is now settled usage; the row goes on holding `hold` (what
     * requests in flight reserve and what is still free), or is closed (`hold` null) and
     * the rest returned. The counters' open part becomes `hold`, their totals what was
     * settled plus `hold`, in every row the lease counts in (its ancestors' too). `used`
     * may exceed what the row held (a request that used more than its worst case): the
     * totals then grow by the excess. False when the row is gone (the reaper took it, at
     * its full amount).
     */
    async moveLease(id: string, used: Counters, hold: Counters | null): Promise<boolean> {
      const after = hold ?? { requests: 0, tokens: 0, microUsd: 0 };
      /** The counters' moves: open becomes `after`, the totals grow by `used` on top. */
      const moves = (row: Record<string, unknown>) => {
        const open = {
          requests: after.requests - Number(row.requests),
          tokens: after.tokens - Number(row.tokens),
          microUsd: after.microUsd - Number(row.micro_usd),
        };
        return [
          used.requests + open.requests,
          used.tokens + open.tokens,
          used.microUsd + open.microUsd,
          open.requests,
          open.tokens,
          open.microUsd,
        ];
      };
      if (db.engine === 'sqlite')
        // Synchronous, as settling: no lock held across the event loop.
        return inSqliteTransaction(db, INSERT_RESERVATION, (statements) => {
          const row = statements.readReservation.get(id);
          if (!row) return false;
          for (const [grantId, period] of countedRows(row))
            statements.moveCounters.run(...moves(row), grantId, period, row.provider ?? null);
          if (hold === null) statements.claimReservation.get(id);
          else statements.holdReservation.run(after.requests, after.tokens, after.microUsd, id);
          return true;
        });
      for (let attempt = 1; ; attempt++) {
        try {
          return await db.transaction(async (trx) => {
            const row = await trx('reservations').where({ id }).forUpdate().first();
            if (!row) return false;
            const rows = countedRows(row).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
            // The counter rows in the one lock order (grant, scope), as reservations take them.
            await trx('grant_counters')
              .where((w) => {
                for (const [grantId, period] of rows)
                  w.orWhere((o) => o.where({ grant_id: grantId, period }));
              })
              .whereIn('scope', [WHOLE, String(row.provider)])
              .orderBy(['grant_id', 'scope'])
              .forUpdate()
              .select('grant_id');
            for (const [grantId, period] of rows)
              await trx.raw(MOVE_COUNTERS, [...moves(row), grantId, period, row.provider ?? null]);
            if (hold === null) await trx('reservations').where({ id }).delete();
            else
              await trx('reservations')
                .where({ id })
                .update({ requests: after.requests, tokens: after.tokens, micro_usd: after.microUsd });
            return true;
          });
        } catch (err) {
          if ((err as { code?: string }).code !== '40P01' || attempt >= 3) throw err;
        }
      }
    },

    /**
     * Whether proxies other than `proxyId` hold leases on the grant; if so, logs that they
     * should return them (a `limits` entry every proxy follows), and says so.
     */
    async reclaimLeases(grantId: string, proxyId: string): Promise<boolean> {
      const held = await db('reservations')
        .where({ grant_id: grantId })
        .whereNot({ proxy_id: proxyId })
        .where('id', 'like', `${LEASE_ID_PREFIX}%`)
        .first('id');
      if (!held) return false;
      await db.transaction((trx) => revocations.logGrantChange(trx, grantId, 'leases_reclaimed'));
      return true;
    },

    /** What a grant has been charged in a period (the whole grant), open reservations included. */
    async charged(grantId: string, period: string) {
      // One statement, one snapshot: the counters and the open reservations agree.
      const whole = () => db('grant_counters').where({ grant_id: grantId, scope: WHOLE, period });
      const open = db('reservations').where({ grant_id: grantId, period }).count('*');
      const row = await db
        .select(
          whole().select('requests').as('requests'),
          whole().select('tokens').as('tokens'),
          whole().select('micro_usd').as('micro_usd'),
          open.as('open'),
        )
        .first();
      return {
        requests: Number(row?.requests ?? 0),
        tokens: Number(row?.tokens ?? 0),
        microUsd: Number(row?.micro_usd ?? 0),
        openReservations: Number(row?.open ?? 0),
      };
    },

    /**
     * The ledger of some grants, what the person's pages should read: every counter row
     * (each scope, '*' or a provider, and each period), with what is settled and what
     * requests in flight hold. Requests of grants without caps reach it when their usage
     * records are stored (within the usage writer's flush interval).
     */
    async ledger(grantIds: readonly string[]): Promise<Map<string, LedgerEntry[]>> {
      const byGrant = new Map<string, LedgerEntry[]>();
      for (let i = 0; i < grantIds.length; i += 500) {
        const rows = await db('grant_counters')
          .whereIn('grant_id', grantIds.slice(i, i + 500))
          .orderBy(['grant_id', 'period', 'scope']);
        for (const row of rows) {
          const entries = byGrant.get(String(row.grant_id)) ?? [];
          entries.push(ledgerEntryOf(row));
          byGrant.set(String(row.grant_id), entries);
        }
      }
      return byGrant;
    },

    /** This proxy is alive, and counts as alive for `aliveForMs` more without beating again. */
    async beat(proxyId: string, aliveForMs: number): Promise<void> {
      const now = clock();
      await db('proxy_heartbeats')
        .insert({ proxy_id: proxyId, seen_at: now, alive_until: now + aliveForMs })
        .onConflict('proxy_id')
        .merge(['seen_at', 'alive_until']);
    },

    /** A proxy stopping cleanly; its reservations are all settled by then. */
    async forget(proxyId: string): Promise<void> {
      await db('proxy_heartbeats').where({ proxy_id: proxyId }).delete();
    },

    /**
     * Reservations whose proxy is past its `alive_until` (or never beat): the upstream
     * may have billed them in full and nobody will report what they used, so each stays
     * charged at its reserved amount and is closed (no longer open in the counters).
     * Returns the closed reservations with their notes, for usage records. Old rate
     * admissions and dead proxies' beats go too.
     */
    async reap(): Promise<ReapedReservation[]> {
      const now = clock();
      const closed = await db.transaction(async (trx) => {
        // One delete: a row settled or reaped by someone else meanwhile is simply not returned.
        const rows = rowsOf(
          await trx.raw(
            `delete from reservations
             where proxy_id not in (select proxy_id from proxy_heartbeats where alive_until > ?)
             returning id, grant_id, provider, period, requests, tokens, micro_usd, created_at, record, ancestors`,
            [now],
          ),
        );
        for (const row of rows)
          for (const [grantId, period] of countedRows(row))
            await trx.raw(MOVE_COUNTERS, [
              0,
              0,
              0,
              -Number(row.requests),
              -Number(row.tokens),
              -Number(row.micro_usd),
              grantId,
              period,
              row.provider === null || row.provider === undefined ? null : String(row.provider),
            ]);
        return rows;
      });
      const reaped: ReapedReservation[] = closed.map((row) => ({
        id: String(row.id),
        grantId: String(row.grant_id),
        provider: row.provider === null || row.provider === undefined ? null : String(row.provider),
        period: String(row.period),
        requests: Number(row.requests),
        tokens: Number(row.tokens),
        microUsd: Number(row.micro_usd),
        createdAt: Number(row.created_at),
        note: row.record ? (JSON.parse(String(row.record)) as ReapedReservation['note']) : null,
      }));
      await db('rate_admissions')
        .where('admitted_at', '<=', now - MINUTE)
        .delete();
      await db('proxy_heartbeats')
        .where('alive_until', '<=', now)
        .whereNotExists(db('reservations').whereRaw('reservations.proxy_id = proxy_heartbeats.proxy_id'))
        .delete();
      return reaped;
    },
  };
}

export type BudgetStore = ReturnType<typeof createBudgetStore>;
