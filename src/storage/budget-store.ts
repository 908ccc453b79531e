import type { Knex } from 'knex';
import { countersOf, GRANT_AND_COUNTERS } from './budget-queries.ts';
import type { Clock } from './clock.ts';
import type { Database } from './create-database.ts';
import { appendGrantEvent } from './grant-event-store.ts';
import { type GrantLimits, limitsOfRow } from './grant-store.ts';
import { usagePeriod } from './limit-period.ts';
import { inSqliteTransaction } from './sqlite-budget-statements.ts';

/** What is left under each cap of a grant's current period; null where there is no cap. */
export interface Remaining {
  requests: number | null;
  tokens: number | null;
  microUsd: number | null;
}

/** The amounts one request reserves (it always reserves one request). */
export interface Amounts {
  /** Every token, input and output. */
  tokens: number;
  /** Of `tokens`, how many are input (for the record of a reaped reservation). */
  inputTokens?: number;
  microUsd: number;
}

export type CapName = 'max_requests' | 'max_tokens' | 'max_spend_usd';

/** Why a reservation was not taken. */
export type Refusal =
  | { kind: 'cap'; limit: CapName; resetsAt: number | null; detail?: string }
  | { kind: 'rate'; retryAfterMs: number; limit: number }
  | { kind: 'unpriced'; reason: string }
  | { kind: 'grant_gone' };

/**
 * Sizes a reservation from what remains. Returns the amounts to reserve, or a refusal
 * (nothing fits, or the request cannot be bounded). Runs inside the reservation's
 * transaction, under the lock: it must be quick and must not touch the database.
 */
export type SizeReservation<S> = (
  remaining: Remaining,
  limits: GrantLimits,
) => { ok: true; amounts: Amounts; sized: S } | { ok: false; refusal: Refusal };

export interface Reservation {
  id: string;
  grantId: string;
  period: string;
  tokens: number;
  microUsd: number;
}

/** What a reaped reservation's usage record says about the request (no prompt, no key). */
export interface ReservationNote {
  clientId: string;
  accountId: string;
  provider: string;
  model: string | null;
  capability: string;
}

/** A reaped reservation: the note plus the tokens it reserved. */
export interface ReapedReservation extends Reservation {
  note: (ReservationNote & { inputTokens: number; outputTokens: number }) | null;
  createdAt: number;
}

const MINUTE = 60_000;

/**
 * Whether one more request fits a grant's caps given what is charged, and how big it is:
 * the request cap first, then the sizing (which lowers the output bound to fit, or
 * refuses), then the token and spend caps against the sized amounts.
 */
function decide<S>(
  limits: GrantLimits,
  charged: { requests: number; tokens: number; microUsd: number },
  size: SizeReservation<S>,
  resetsAt: number | null,
): { ok: true; amounts: Amounts; sized: S } | { ok: false; refusal: Refusal } {
  const left = (cap: number | null, used: number) => (cap === null ? null : Math.max(0, cap - used));
  const remaining: Remaining = {
    requests: left(limits.maxRequests, charged.requests),
    tokens: left(limits.maxTokens, charged.tokens),
    microUsd: left(limits.maxSpendMicroUsd, charged.microUsd),
  };
  const cap = (limit: CapName) => ({
    ok: false as const,
    refusal: { kind: 'cap' as const, limit, resetsAt },
  });
  if (remaining.requests !== null && remaining.requests < 1) return cap('max_requests');
  const sized = size(remaining, limits);
  if (!sized.ok)
    return {
      ok: false,
      refusal: sized.refusal.kind === 'cap' ? { ...sized.refusal, resetsAt } : sized.refusal,
    };
  if (remaining.tokens !== null && sized.amounts.tokens > remaining.tokens) return cap('max_tokens');
  if (remaining.microUsd !== null && sized.amounts.microUsd > remaining.microUsd) return cap('max_spend_usd');
  return sized;
}

export const hasCaps = (limits: GrantLimits): boolean =>
  limits.maxRequests !== null ||
  limits.maxTokens !== null ||
  limits.maxSpendMicroUsd !== null ||
  limits.requestsPerMinute !== null;

/**
 * Caps that hold under any concurrency, across processes. Every request of a grant
 * with caps reserves its worst case in one transaction that locks the grant's counter
 * row (PostgreSQL `FOR UPDATE`; SQLite has one writer), reads the grant's current limits,
 * and admits the reservation only if the counters plus it stay within every cap. The
 * counters always include open reservations, so concurrent requests can never together
 * exceed a cap; settling replaces the reserved amounts by the real ones.
 */
export function createBudgetStore(db: Database, clock: Clock) {
  async function lockCounters(trx: Knex.Transaction, grantId: string, period: string) {
    // Inserting first makes this a write transaction from its first statement, so two
    // SQLite processes never deadlock upgrading a read lock, and PostgreSQL has a row to lock.
    await trx('grant_counters')
      .insert({ grant_id: grantId, period })
      .onConflict(['grant_id', 'period'])
      .ignore();
    const query = trx('grant_counters').where({ grant_id: grantId, period });
    if (db.engine === 'pg') query.forUpdate();
    const row = await query.first();
    return { requests: Number(row.requests), tokens: Number(row.tokens), microUsd: Number(row.micro_usd) };
  }

  /**
   * PostgreSQL: the grant and its counter row for the period, the row locked, in one
   * round trip. Undefined when the counter row does not exist yet (or the grant does not):
   * the caller then takes the general path, which creates it.
   */
  async function lockedGrantAndCounters(trx: Knex.Transaction, grantId: string, now: number) {
    if (db.engine !== 'pg') return undefined;
    const month = usagePeriod('month', 0, now).key;
    const { rows } = await trx.raw(`${GRANT_AND_COUNTERS} for update of c`, [month, grantId]);
    const row = rows[0] as Record<string, unknown> | undefined;
    if (!row) return undefined;
    return { grant: row, charged: countersOf(row) };
  }

  /**
   * The audit trail says once per cap and period that a cap was reached (the first
   * refusal; under the counter lock, so concurrent refusals write one event).
   */
  async function noteCapReached(
    trx: Knex.Transaction,
    grant: Record<string, unknown>,
    limit: CapName,
    period: string,
  ): Promise<void> {
    const detail = JSON.stringify({ limit, period });
    const seen = await trx('grant_events')
      .where({ grant_id: grant.id, kind: 'cap_reached', detail })
      .first('seq');
    if (seen) return;
    await appendGrantEvent(trx, clock, {
      grantId: String(grant.id),
      accountId: String(grant.account_id),
      clientId: String(grant.client_id),
      kind: 'cap_reached',
      detail: { limit, period },
    });
  }

  /** Requests per minute, as a sliding window over the admissions of the last minute. */
  async function rateRefusal(
    trx: Knex.Transaction,
    grantId: string,
    perMinute: number,
    now: number,
  ): Promise<Refusal | undefined> {
    // Full when the perMinute-th newest admission is still inside the window; a place frees
    // when it turns a minute old.
    const nth = await trx('rate_admissions')
      .where({ grant_id: grantId })
      .where('admitted_at', '>', now - MINUTE)
      .orderBy('admitted_at', 'desc')
      .offset(perMinute - 1)
      .first('admitted_at');
    if (!nth) return undefined;
    const freesAt = Number(nth.admitted_at) + MINUTE;
    return { kind: 'rate', retryAfterMs: Math.max(1, freesAt - now), limit: perMinute };
  }

  type ReserveArgs<S> = {
    id: string;
    grantId: string;
    proxyId: string;
    note: ReservationNote;
    size: SizeReservation<S>;
  };
  type ReserveResult<S> =
    | { ok: true; reservation: Reservation; sized: S; limits: GrantLimits }
    | { ok: false; refusal: Refusal; limits: GrantLimits | undefined };

  const COLUMNS = [
    'id',
    'grant_id',
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
    period,
    requests: 1,
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

  /**
   * The common case, from a grant joined with its counter row (`GRANT_AND_COUNTERS`): the
   * decision and the reservation row, or undefined for everything the locked path answers
   * (no such row, a grant gone, a per-minute limit, a refusal).
   */
  function planFrom<S>(grant: Record<string, unknown> | undefined, args: ReserveArgs<S>, now: number) {
    if (!grant || grant.revoked_at !== null || Number(grant.expires_at) <= now) return undefined;
    const limits = limitsOfRow(grant);
    if (limits.requestsPerMinute !== null) return undefined;
    const { key: period, resetsAt } = usagePeriod(limits.limitPeriod, Number(grant.created_at), now);
    const charged = countersOf(grant);
    const decided = decide(limits, charged, args.size, resetsAt);
    if (!decided.ok) return undefined;
    return { limits, period, charged, decided, row: reservationRow(args, period, decided.amounts, now) };
  }

  /**
   * PostgreSQL, the common case: no lock held across round trips. Read the grant and its
   * counters (one query), size the request, then one statement adds it to the counters
   * only if every cap still holds (checked by the database against the row as it is then,
   * with the grant's limits as they are then) and inserts the reservation if it did. If
   * another request took the room meanwhile, read and try again. Anything else (no
   * counter row yet, a per-minute limit, a refusal to confirm and record) goes the locked
   * way. Undefined: take the locked way.
   */
  async function reserveOptimistically<S>(args: ReserveArgs<S>): Promise<ReserveResult<S> | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = clock();
      const month = usagePeriod('month', 0, now).key;
      const { rows } = await db.raw(GRANT_AND_COUNTERS, [month, args.grantId]);
      const plan = planFrom(rows[0] as Record<string, unknown> | undefined, args, now);
      if (!plan) return undefined;
      const { limits, period, decided, row } = plan;
      const { rows: admitted } = await db.raw(
        `with counted as (
           update grant_counters c
           set requests = c.requests + 1, tokens = c.tokens + ?, micro_usd = c.micro_usd + ?
           from grants g
           where c.grant_id = ? and c.period = ? and g.id = c.grant_id
             and g.revoked_at is null and g.expires_at > ? and g.limit_period = ?
             and g.requests_per_minute is null
             and (g.max_requests is null or c.requests + 1 <= g.max_requests)
             and (g.max_tokens is null or c.tokens + ? <= g.max_tokens)
             and (g.max_spend_micro_usd is null or c.micro_usd + ? <= g.max_spend_micro_usd)
           returning c.grant_id
         )
         insert into reservations (${columnList})
         select ${typedPlaceholders} from counted
         returning id`,
        [
          row.tokens,
          row.micro_usd,
          args.grantId,
          period,
          now,
          limits.limitPeriod,
          row.tokens,
          row.micro_usd,
          ...valuesOf(row),
        ],
      );
      if (admitted.length === 1)
        return {
          ok: true,
          reservation: {
            id: args.id,
            grantId: args.grantId,
            period,
            tokens: row.tokens,
            microUsd: row.micro_usd,
          },
          sized: decided.sized,
          limits,
        };
    }
    return undefined;
  }

  /**
   * SQLite, the common case: the same decision as the locked path, in one synchronous
   * `BEGIN IMMEDIATE` transaction of prepared statements (see `inSqliteTransaction`).
   * Undefined (nothing written) for a refusal, a per-minute limit or a grant's first
   * request: the locked path then answers, records `cap_reached` and creates the row.
   */
  function reserveOnSqlite<S>(args: ReserveArgs<S>): Promise<ReserveResult<S> | undefined> {
    return inSqliteTransaction(db, INSERT_RESERVATION, (statements) => {
      const now = clock();
      const plan = planFrom(
        statements.grantAndCounters.get(usagePeriod('month', 0, now).key, args.grantId),
        args,
        now,
      );
      if (!plan) return undefined;
      const { limits, period, charged, decided, row } = plan;
      statements.writeCounters.run(
        charged.requests + 1,
        charged.tokens + row.tokens,
        charged.microUsd + row.micro_usd,
        args.grantId,
        period,
      );
      statements.addReservation.run(...valuesOf(row));
      return {
        ok: true as const,
        reservation: {
          id: args.id,
          grantId: args.grantId,
          period,
          tokens: row.tokens,
          microUsd: row.micro_usd,
        },
        sized: decided.sized,
        limits,
      };
    });
  }

  /**
   * Every other case, and the definitive answer: one transaction that locks the grant's
   * counter row (PostgreSQL `FOR UPDATE`; SQLite's single writer), checks, records a
   * refusal's `cap_reached`, and writes.
   */
  async function reserveLocked<S>(args: ReserveArgs<S>): Promise<ReserveResult<S>> {
    return db.transaction(async (trx) => {
      const now = clock();
      const locked = await lockedGrantAndCounters(trx, args.grantId, now);
      const grant = locked?.grant ?? (await trx('grants').where({ id: args.grantId }).first());
      if (!grant || grant.revoked_at !== null || Number(grant.expires_at) <= now)
        return { ok: false as const, refusal: { kind: 'grant_gone' as const }, limits: undefined };
      const limits = limitsOfRow(grant);
      const { key: period, resetsAt } = usagePeriod(limits.limitPeriod, Number(grant.created_at), now);
      const charged = locked?.charged ?? (await lockCounters(trx, args.grantId, period));
      const refuse = async (refusal: Refusal) => {
        if (refusal.kind === 'cap') await noteCapReached(trx, grant, refusal.limit, period);
        return { ok: false as const, refusal, limits };
      };
      const decided = decide(limits, charged, args.size, resetsAt);
      if (!decided.ok) return await refuse(decided.refusal);
      if (limits.requestsPerMinute !== null) {
        const rate = await rateRefusal(trx, args.grantId, limits.requestsPerMinute, now);
        if (rate) return await refuse(rate);
        await trx('rate_admissions').insert({ id: args.id, grant_id: args.grantId, admitted_at: now });
      }
      const { tokens, microUsd } = decided.amounts;
      const counters = {
        requests: charged.requests + 1,
        tokens: charged.tokens + tokens,
        micro_usd: charged.microUsd + microUsd,
      };
      const row = reservationRow(args, period, decided.amounts, now);
      if (db.engine === 'pg') {
        // One round trip for both writes.
        await trx.raw(
          `with counted as (
             update grant_counters set requests = ?, tokens = ?, micro_usd = ?
             where grant_id = ? and period = ?
           )
           ${INSERT_RESERVATION}`,
          [counters.requests, counters.tokens, counters.micro_usd, args.grantId, period, ...valuesOf(row)],
        );
      } else {
        await trx('grant_counters').where({ grant_id: args.grantId, period }).update(counters);
        await trx('reservations').insert(row);
      }
      return {
        ok: true as const,
        reservation: { id: args.id, grantId: args.grantId, period, tokens, microUsd },
        sized: decided.sized,
        limits,
      };
    });
  }

  return {
    /**
     * Takes a reservation for request `id` of a grant, or says why not. `size` decides the
     * amounts from what remains; the request count is always one.
     */
    async reserve<S>(args: ReserveArgs<S>): Promise<ReserveResult<S>> {
      const taken = db.engine === 'pg' ? await reserveOptimistically(args) : await reserveOnSqlite(args);
      return taken ?? reserveLocked(args);
    },

    /**
     * Replaces a reservation by what the request really used (`requests` 0 releases the
     * request too). Returns false when there was no open reservation (the reaper took it).
     */
    async settle(
      id: string,
      actual: { requests: 0 | 1; tokens: number; microUsd: number },
    ): Promise<boolean> {
      // Deleting the reservation claims it (a reaper that got there first leaves nothing to
      // delete); the counters then move by the difference, relative, so no read is needed.
      if (db.engine === 'pg') {
        const { rows } = await db.raw(
          `with claimed as (delete from reservations where id = ? returning grant_id, period, requests, tokens, micro_usd)
           update grant_counters c
           set requests = c.requests + ? - claimed.requests,
               tokens = c.tokens + ? - claimed.tokens,
               micro_usd = c.micro_usd + ? - claimed.micro_usd
           from claimed where c.grant_id = claimed.grant_id and c.period = claimed.period
           returning 1`,
          [id, actual.requests, actual.tokens, actual.microUsd],
        );
        return rows.length > 0;
      }
      return inSqliteTransaction(db, INSERT_RESERVATION, (statements) => {
        const claimed = statements.claimReservation.get(id);
        if (!claimed) return false;
        statements.moveCounters.run(
          actual.requests - Number(claimed.requests),
          actual.tokens - Number(claimed.tokens),
          actual.microUsd - Number(claimed.micro_usd),
          claimed.grant_id,
          claimed.period,
        );
        return true;
      });
    },

    /** What a grant has been charged in a period, open reservations included. */
    async charged(grantId: string, period: string) {
      // One statement, one snapshot: the counters and the open reservations agree.
      const open = db('reservations').where({ grant_id: grantId, period }).count('*');
      const row = await db
        .select(
          db('grant_counters').where({ grant_id: grantId, period }).select('requests').as('requests'),
          db('grant_counters').where({ grant_id: grantId, period }).select('tokens').as('tokens'),
          db('grant_counters').where({ grant_id: grantId, period }).select('micro_usd').as('micro_usd'),
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
     * charged at its reserved amount and is closed. Returns the closed reservations with
     * their notes, for usage records. Old rate admissions and dead proxies' beats go too.
     */
    async reap(): Promise<ReapedReservation[]> {
      const now = clock();
      // One delete: a row settled or reaped by someone else meanwhile is simply not returned.
      const result = await db.raw(
        `delete from reservations
         where proxy_id not in (select proxy_id from proxy_heartbeats where alive_until > ?)
         returning id, grant_id, period, tokens, micro_usd, created_at, record`,
        [now],
      );
      // PostgreSQL answers { rows }, better-sqlite3 the rows themselves.
      const closed: Record<string, unknown>[] = Array.isArray(result) ? result : result.rows;
      const reaped: ReapedReservation[] = closed.map((row: Record<string, unknown>) => ({
        id: String(row.id),
        grantId: String(row.grant_id),
        period: String(row.period),
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
