import type { Provider } from '../../scopes/index.ts';
import { scopeWords } from '../../storage/budget-decision.ts';
import type { BudgetStore, Refusal, Remaining, ReservationNote } from '../../storage/budget-store.ts';
import type { LedgerCharge } from '../../storage/usage-store.ts';
import { boundRequest } from '../endpoints/bound-request.ts';
import type { EndpointSpec } from '../endpoints/endpoint-spec.ts';
import { ProxyError } from '../errors/proxy-error.ts';
import { type TokenUsage, zeroUsage } from '../usage/usage-tap.ts';
import type { CappedGrants } from './capped-grants.ts';
import type { LeasePool } from './lease-pool.ts';
import { costMicroUsd, findPrice, type ModelPrice, type PriceTable } from './price-table.ts';
import type { RequestBound } from './request-bounds.ts';
import type { ReservationKeeper } from './reservation-keeper.ts';
import { type Sized, sizeReservation, withRoomToSpare } from './size-reservation.ts';
import { type WorstCase, worstCaseOf } from './worst-case.ts';

/** What one request is, for the budget. */
export interface BudgetRequest {
  requestId: string;
  grantId: string;
  note: ReservationNote;
  provider: Provider;
  upstreamPath: string;
  /** The endpoint matched (its cost bound); unset: looked up among the built-ins. */
  spec?: EndpointSpec | undefined;
  model: string | undefined;
  json: Record<string, unknown> | undefined;
  bodyBytes: number;
}

/** How the request ended, for settling and for its usage record. */
export interface BudgetOutcome {
  /** The request went upstream; false when the client had gone before it was sent. */
  sent: boolean;
  /**
   * The whole request was written to the upstream (so the provider may bill it even
   * without an answer). Unset: not known to have been.
   */
  delivered?: boolean;
  /** The upstream answered (any status); false when it could not be reached. */
  answered: boolean;
  status: number;
  /** The upstream's FINAL usage (the count it bills), when it reported one. */
  usage: TokenUsage | undefined;
  /** What it had reported short of that (Anthropic's `message_start`), if anything. */
  partialUsage?: TokenUsage | undefined;
  clientAborted: boolean;
}

/** What a request is charged: counted against the caps and written in its usage record. */
export interface Charge {
  requests: 0 | 1;
  tokens: number;
  /** null: the request has no price (only possible for grants without a spend cap). */
  microUsd: number | null;
  /** The tokens its usage record holds (undefined: zeros). */
  usage?: TokenUsage;
  /** Charged its worst case: it ended without the upstream's final usage. */
  worstCase?: boolean;
}

/** A settled request's charge, and how it reaches the ledger (for its usage record's `ledger`). */
export type SettledCharge = Charge & { ledger: LedgerCharge };

export interface Admission {
  /** The output bound to set on the request before forwarding, when one is needed. */
  inject: Sized['inject'];
  /**
   * Settles the reservation (if any) to what the request used; returns its charge. A
   * request without a reservation is charged into the ledger with its usage record.
   */
  settle(outcome: BudgetOutcome): Promise<SettledCharge>;
}

/**
 * When a request held back by slices is decided again after they were asked back (ms
 * after the ask): the revocation log reaches the proxies within about 100 ms on
 * PostgreSQL and a poll interval (250 ms) on SQLite; a second at most, three tries.
 */
const RECLAIM_RETRIES_MS = [100, 300, 1000];

const ledgerOf = (charge: Charge, reserved: boolean): LedgerCharge => ({
  reserved,
  requests: charge.requests,
  tokens: charge.tokens,
  microUsd: charge.microUsd ?? 0,
});

const CAP_WORDS = { max_requests: 'request', max_tokens: 'token', max_spend_usd: 'spend' } as const;
/** "max_requests = 2", "max_spend_usd = $1.5" (the key alone when the value is not known). */
const capValue = (limit: keyof typeof CAP_WORDS, value: number | undefined) =>
  value === undefined ? limit : `${limit} = ${limit === 'max_spend_usd' ? `$${value / 1e6}` : String(value)}`;

/**
 * The header that tells the app how to ask the person for more (a raise request: an
 * authorization request with `grant_id` and `authorization_details` asking for more of
 * this limit; see docs/app-developers.md): the grant, the provider of the request, the
 * limit by its `authorization_details` name, and its value now (dollars for spending).
 */
export const RAISE_HEADER = 'x-mandate-raise-limit';

function raiseHint(
  at: { grantId: string; provider: Provider } | undefined,
  limit: keyof typeof CAP_WORDS | 'requests_per_minute',
  value: number | undefined,
): Record<string, string> {
  if (!at) return {};
  const shown = value === undefined ? '' : `, value="${limit === 'max_spend_usd' ? value / 1e6 : value}"`;
  return {
    [RAISE_HEADER]: `grant_id="${at.grantId}", provider="${at.provider}", limit="${limit}"${shown}`,
  };
}

/**
 * The refusal an app sees, in words that say which limit and when it resets; a cap or
 * rate refusal of a request `at` a grant also says how to ask the person to raise it.
 */
export function refusalError(refusal: Refusal, at?: { grantId: string; provider: Provider }): ProxyError {
  switch (refusal.kind) {
    case 'rate': {
      const seconds = Math.ceil(refusal.retryAfterMs / 1000);
      return new ProxyError(
        'rate_limited',
        `this grant allows ${refusal.limit} requests per minute; retry in ${seconds} s`,
        {
          headers: {
            'retry-after': String(seconds),
            'retry-after-ms': String(refusal.retryAfterMs),
            ...raiseHint(at, 'requests_per_minute', refusal.limit),
          },
        },
      );
    }
    case 'cap': {
      const name = CAP_WORDS[refusal.limit];
      const when =
        refusal.resetsAt === null
          ? 'it does not reset (it covers the whole grant)'
          : `it resets at ${new Date(refusal.resetsAt).toISOString()}`;
      const detail = refusal.detail ? ` (${refusal.detail})` : '';
      const value = capValue(refusal.limit, refusal.value);
      return new ProxyError(
        'limit_reached',
        `the ${scopeWords(refusal.scope)}${name} limit (${value}) of this grant is reached${detail}; ${when}`,
        { headers: raiseHint(at, refusal.limit, refusal.value) },
      );
    }
    case 'busy': {
      const seconds = Math.ceil(refusal.retryAfterMs / 1000);
      const name = CAP_WORDS[refusal.limit];
      const value = capValue(refusal.limit, refusal.value);
      return new ProxyError(
        'limit_busy',
        `requests in flight hold what is left of the ${scopeWords(refusal.scope)}${name} limit (${value}) of this grant; retry in ${seconds} s`,
        { headers: { 'retry-after': String(seconds), 'retry-after-ms': String(refusal.retryAfterMs) } },
      );
    }
    case 'unpriced':
      return new ProxyError(
        'limit_unenforceable',
        `this grant has a spend or token limit and the cost of this request cannot be bounded: ${refusal.reason}`,
      );
    case 'grant_gone':
      return new ProxyError('invalid_token', 'the grant behind this access token has ended');
    case 'no_slice':
    case 'lowered':
      // Only asked for by the gate itself, which then reserves otherwise: never an app's answer.
      return new ProxyError('unavailable', 'the budget could not be decided; try again');
  }
}

/**
 * The budget step of a request: for a grant with caps, reserve the worst case before
 * forwarding (or refuse), and afterwards settle to the real usage. For every request,
 * the charge written in its usage record.
 */
export function createBudgetGate(deps: {
  store: Pick<BudgetStore, 'reserve' | 'settle'>;
  prices: PriceTable;
  cappedGrants: Pick<CappedGrants, 'isCapped'>;
  keeper: Pick<ReservationKeeper, 'ready' | 'retry'>;
  /** Leases (`proxy.leases.enabled`): capped requests are admitted out of slices in memory. */
  leases?: Pick<LeasePool, 'admit' | 'reclaim'> | undefined;
  /** Waits before a request refused as busy while slices were reclaimed is decided again. */
  sleep?: (ms: number) => Promise<void>;
  proxyId: string;
  /** The output bound per choice injected into a request that sets none (default 4096). */
  defaultOutputTokens?: number;
  /** Told when a reservation was already closed by a reaper when its request ended. */
  onLateSettle?(reservationId: string): void;
}) {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const priceOf = (provider: Provider, model: string | undefined): ModelPrice | undefined =>
    model === undefined ? undefined : findPrice(deps.prices, provider, model);

  /**
   * The charge of a request from its outcome. Only the upstream's FINAL usage settles
   * lower than the worst case: a request sent upstream that ended without it (client
   * abort, upstream drop or silence, drain deadline, a 2xx missing its usage) is charged
   * `worst()`, what the provider could bill. See docs/limits.md#enforcement.
   */
  function chargeOf(
    outcome: BudgetOutcome,
    price: ModelPrice | undefined,
    bound: () => RequestBound,
    worst: () => WorstCase | undefined,
  ): Charge {
    if (!outcome.sent) return { requests: 0, tokens: 0, microUsd: 0 };
    if (outcome.usage) {
      const tokens = outcome.usage.inputTokens + outcome.usage.outputTokens;
      return {
        requests: 1,
        tokens,
        microUsd: price ? (costMicroUsd(price, outcome.usage) ?? null) : null,
        usage: outcome.usage,
      };
    }
    if (outcome.answered && outcome.status >= 300) {
      // Refused or failed upstream: nothing was generated. A 5xx does not count as a request.
      return { requests: outcome.status >= 500 ? 0 : 1, tokens: 0, microUsd: 0 };
    }
    // Not answered and the client still there: released only when the request never
    // reached the upstream whole (no connection, refused, reset while sending). Once it
    // was delivered, the provider may run and bill it though no answer came (a response
    // timeout, a reset while waiting): the worst case, below.
    if (!outcome.answered && !outcome.clientAborted && !outcome.delivered)
      return { requests: 0, tokens: 0, microUsd: 0 };
    const b = bound();
    if (b.kind === 'fixed') return { requests: 1, tokens: 0, microUsd: b.microUsd };
    const w = worst();
    if (w) {
      const usage = { ...zeroUsage(), inputTokens: w.inputTokens, outputTokens: w.outputTokens };
      return {
        requests: 1,
        tokens: w.inputTokens + w.outputTokens,
        microUsd: w.microUsd,
        usage,
        worstCase: true,
      };
    }
    // No bound to charge (an unbounded request of a grant without token or spend caps):
    // what the upstream reported by then, if anything.
    const partial = outcome.partialUsage;
    if (!partial) return { requests: 1, tokens: 0, microUsd: null };
    return {
      requests: 1,
      tokens: partial.inputTokens + partial.outputTokens,
      microUsd: price ? (costMicroUsd(price, partial) ?? null) : null,
      usage: partial,
    };
  }

  return {
    async admit(request: BudgetRequest): Promise<Admission> {
      const price = priceOf(request.provider, request.model);
      let cachedBound: RequestBound | undefined;
      const bound = () => {
        cachedBound ??= boundRequest({
          provider: request.provider,
          upstreamPath: request.upstreamPath,
          spec: request.spec,
          json: request.json,
          bodyBytes: request.bodyBytes,
          price,
          model: request.model,
        });
        return cachedBound;
      };
      if (!(await deps.cappedGrants.isCapped(request.grantId))) {
        return {
          inject: undefined,
          settle: async (outcome) => {
            const charge = chargeOf(outcome, price, bound, () => worstCaseOf(bound(), price));
            return { ...charge, ledger: ledgerOf(charge, false) };
          },
        };
      }
      const thinking = request.json?.thinking as { budget_tokens?: unknown } | undefined;
      const thinkingBudget = typeof thinking?.budget_tokens === 'number' ? thinking.budget_tokens : undefined;
      // Bounded before the transaction: sizing runs under the grant's lock and must be quick.
      const requestBound = bound();
      const size = (remaining: Remaining) =>
        sizeReservation(requestBound, price, remaining, thinkingBudget, deps.defaultOutputTokens);
      // What was reserved is the worst case, unless sizing reserved nothing (no token or
      // spend cap): then the request's own bound.
      const worstOf =
        (reserved: { tokens: number; microUsd: number }, sized: Sized) => (): WorstCase | undefined =>
          reserved.tokens > 0 || reserved.microUsd > 0
            ? {
                inputTokens: sized.inputTokens,
                outputTokens: reserved.tokens - sized.inputTokens,
                microUsd: price ? reserved.microUsd : null,
              }
            : worstCaseOf(bound(), price);
      await deps.keeper.ready();
      const ticket = await deps.leases?.admit({
        grantId: request.grantId,
        provider: request.provider,
        note: request.note,
        size,
      });
      if (ticket)
        return {
          inject: ticket.sized.inject,
          async settle(outcome) {
            const charge = chargeOf(outcome, price, bound, worstOf(ticket.reserved, ticket.sized));
            ticket.settle({
              requests: charge.requests,
              tokens: charge.tokens,
              microUsd: charge.microUsd ?? 0,
            });
            return { ...charge, ledger: ledgerOf(charge, true) };
          },
        };
      const reserve = (sizing: typeof size) =>
        deps.store.reserve({
          id: request.requestId,
          grantId: request.grantId,
          provider: request.provider,
          proxyId: deps.proxyId,
          note: request.note,
          size: sizing,
        });
      // With leases, slices may hold room no request uses: a request that would be busy, or
      // lowered below its own worst case, first has them returned (this proxy's and, through
      // the revocation log, the others'), decided again three times within a second;
      // only then is it lowered to what remains, or refused.
      const unlessLowered = (remaining: Remaining) => {
        const sized = size(remaining);
        if (!sized.ok) return sized;
        const own = size(withRoomToSpare(remaining));
        const lowered =
          own.ok &&
          (sized.amounts.tokens < own.amounts.tokens || sized.amounts.microUsd < own.amounts.microUsd);
        return lowered ? { ok: false as const, refusal: { kind: 'lowered' as const } } : sized;
      };
      const held = (t: Awaited<ReturnType<typeof reserve>>) =>
        !t.ok && (t.refusal.kind === 'busy' || t.refusal.kind === 'lowered');
      let taken = await reserve(deps.leases ? unlessLowered : size);
      if (held(taken) && deps.leases && (await deps.leases.reclaim(request.grantId)))
        for (let i = 0, waited = 0; held(taken) && i < RECLAIM_RETRIES_MS.length; i++) {
          const at = RECLAIM_RETRIES_MS[i] as number;
          await sleep(at - waited);
          waited = at;
          taken = await reserve(unlessLowered);
        }
      if (!taken.ok && taken.refusal.kind === 'lowered') taken = await reserve(size);
      if (!taken.ok)
        throw refusalError(taken.refusal, { grantId: request.grantId, provider: request.provider });
      const { reservation, sized } = taken;
      return {
        inject: sized.inject,
        async settle(outcome) {
          const charge = chargeOf(outcome, price, bound, worstOf(reservation, sized));
          const settle = () =>
            deps.store.settle(reservation.id, {
              requests: charge.requests,
              tokens: charge.tokens,
              // Unpriced only when the grant has no spend cap: nothing to count it against.
              microUsd: charge.microUsd ?? 0,
            });
          const settled = await settle().catch(() => {
            deps.keeper.retry(settle);
            return true;
          });
          // The reaper closed it first (this proxy was taken for dead): it stays at its worst case.
          if (!settled) deps.onLateSettle?.(reservation.id);
          return { ...charge, ledger: ledgerOf(charge, true) };
        },
      };
    },
  };
}

export type BudgetGate = ReturnType<typeof createBudgetGate>;
