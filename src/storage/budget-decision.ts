import { providerDisplayName } from '../scopes/index.ts';
import { CAP_OF_LIMIT, type Caps, type Scope } from './grant-limits.ts';

/** What one scope's counter row holds: totals (settled plus open reservations), and the open part. */
export interface Counters {
  requests: number;
  tokens: number;
  microUsd: number;
}

/** One scope a request counts in: its caps and its counter row for the period. */
export interface ScopeState {
  scope: Scope;
  caps: Caps;
  /** Settled usage plus open reservations. */
  total: Counters;
  /** Of `total`, what open reservations hold. */
  open: Counters;
  /**
   * Set for a scope of an ancestor's grant (a sub-agent's request counts in every grant it
   * was carved from): when that grant's period resets, which a refusal names.
   */
  ancestor?: { resetsAt: number | null };
}

/** What is left under each cap; null where there is no cap. */
export interface Remaining {
  requests: number | null;
  tokens: number | null;
  microUsd: number | null;
}

/** The amounts one reservation holds: one request's, or a lease's slice of several. */
export interface Amounts {
  /** Requests (unset: one, a request's own reservation). */
  requests?: number;
  /** Every token, input and output. */
  tokens: number;
  /** Of `tokens`, how many are input (for the record of a reaped reservation). */
  inputTokens?: number;
  microUsd: number;
}

export type CapName = 'max_requests' | 'max_tokens' | 'max_spend_usd';

/** Why a reservation was not taken. */
export type Refusal =
  | {
      /** Settled usage alone leaves no room: retrying cannot help until the period resets. */
      kind: 'cap';
      limit: CapName;
      resetsAt: number | null;
      /** The scope whose cap it is; '*' (the whole grant) when not said. */
      scope?: Scope;
      /** The cap's value (micro-USD for spend). */
      value?: number;
      detail?: string;
    }
  | {
      /** Only requests still in flight stand in the way: retry once they end. */
      kind: 'busy';
      limit: CapName;
      scope: Scope;
      value: number;
      retryAfterMs: number;
    }
  | { kind: 'rate'; retryAfterMs: number; limit: number; scope?: Scope }
  | { kind: 'unpriced'; reason: string }
  | { kind: 'grant_gone' }
  /** A lease was asked for and no slice fits (or the grant takes none): reserve per request. */
  | { kind: 'no_slice' }
  /**
   * Asked not to be lowered: what remains would size the request below its own worst
   * case (with leases, perhaps only because slices hold the room; they are reclaimed first).
   */
  | { kind: 'lowered' };

/**
 * Sizes a reservation from what remains. Returns the amounts to reserve, or a refusal
 * (nothing fits, or the request cannot be bounded). Runs inside the reservation's
 * transaction, under the lock: it must be quick and must not touch the database.
 */
export type SizeReservation<S> = (
  remaining: Remaining,
) => { ok: true; amounts: Amounts; sized: S } | { ok: false; refusal: Refusal };

export type Decision<S> = { ok: true; amounts: Amounts; sized: S } | { ok: false; refusal: Refusal };

/** How long a request refused as busy is told to wait: in-flight requests end within seconds. */
export const BUSY_RETRY_AFTER_MS = 1000;

const CAP_OF: Readonly<Record<CapName, keyof Caps>> = CAP_OF_LIMIT;
const USED_OF: Record<CapName, keyof Counters> = {
  max_requests: 'requests',
  max_tokens: 'tokens',
  max_spend_usd: 'microUsd',
};

type Basis = 'total' | 'settled';

const usedOf = (s: ScopeState, key: keyof Counters, basis: Basis) =>
  basis === 'total' ? s.total[key] : s.total[key] - s.open[key];

/** What is left of one cap in one scope, or null without a cap. */
function leftOf(s: ScopeState, limit: CapName, basis: Basis): number | null {
  const cap = s.caps[CAP_OF[limit]];
  return cap === null ? null : Math.max(0, cap - usedOf(s, USED_OF[limit], basis));
}

/** The least left of a cap over the scopes, and the scope it is in (the first on a tie). */
function tightest(scopes: readonly ScopeState[], limit: CapName, basis: Basis) {
  let best: { left: number; scope: ScopeState } | undefined;
  for (const s of scopes) {
    const left = leftOf(s, limit, basis);
    if (left !== null && (best === undefined || left < best.left)) best = { left, scope: s };
  }
  return best;
}

function remainingOf(scopes: readonly ScopeState[], basis: Basis): Remaining {
  return {
    requests: tightest(scopes, 'max_requests', basis)?.left ?? null,
    tokens: tightest(scopes, 'max_tokens', basis)?.left ?? null,
    microUsd: tightest(scopes, 'max_spend_usd', basis)?.left ?? null,
  };
}

/** Decides against one basis: the request count, then sizing, then tokens and spend. */
function decideOn<S>(
  scopes: readonly ScopeState[],
  size: SizeReservation<S>,
  basis: Basis,
): Decision<S> | { ok: false; limit: CapName; scope: ScopeState | undefined; refusal?: Refusal } {
  const requests = tightest(scopes, 'max_requests', basis);
  if (requests && requests.left < 1) return { ok: false, limit: 'max_requests', scope: requests.scope };
  const sized = size(remainingOf(scopes, basis));
  if (!sized.ok) {
    if (sized.refusal.kind !== 'cap') return sized;
    const limit = sized.refusal.limit;
    return { ok: false, limit, scope: tightest(scopes, limit, basis)?.scope, refusal: sized.refusal };
  }
  for (const limit of ['max_requests', 'max_tokens', 'max_spend_usd'] as const) {
    const t = tightest(scopes, limit, basis);
    const amount =
      limit === 'max_requests'
        ? (sized.amounts.requests ?? 1)
        : limit === 'max_tokens'
          ? sized.amounts.tokens
          : sized.amounts.microUsd;
    if (t && amount > t.left) return { ok: false, limit, scope: t.scope };
  }
  return sized;
}

/**
 * Whether one more request fits every cap of every scope it counts in (the whole grant
 * and its provider), and how big it is. It is sized against the least that remains of
 * each cap over the scopes, counting open reservations. When it does not fit, the same
 * decision against settled usage alone says why: if the request would fit once the
 * requests in flight end, the refusal is `busy` (retry soon); only when settled usage
 * leaves no room is it `cap` (the limit is reached until the period resets).
 */
export function decideBudget<S>(
  scopes: readonly ScopeState[],
  size: SizeReservation<S>,
  resetsAt: number | null,
): Decision<S> {
  const now = decideOn(scopes, size, 'total');
  if (now.ok || !('limit' in now)) return now as Decision<S>;
  const settled = decideOn(scopes, size, 'settled');
  if (settled.ok) {
    const scope = now.scope?.scope ?? '*';
    return {
      ok: false,
      refusal: {
        kind: 'busy',
        limit: now.limit,
        scope,
        value: now.scope?.caps[CAP_OF[now.limit]] ?? 0,
        retryAfterMs: BUSY_RETRY_AFTER_MS,
      },
    };
  }
  if (!('limit' in settled)) return settled as Decision<S>;
  const scope = settled.scope?.scope ?? '*';
  const value = settled.scope?.caps[CAP_OF[settled.limit]] ?? undefined;
  const base = settled.refusal?.kind === 'cap' ? settled.refusal : undefined;
  const ancestor = settled.scope?.ancestor;
  const detail =
    base?.detail ?? (ancestor ? 'it is a limit of the access this one was carved from' : undefined);
  return {
    ok: false,
    refusal: {
      kind: 'cap',
      limit: settled.limit,
      resetsAt: ancestor ? ancestor.resetsAt : resetsAt,
      scope,
      ...(value === undefined || value === null ? {} : { value }),
      ...(detail ? { detail } : {}),
    },
  };
}

/** The scope as the refusal says it: "the OpenAI request limit (2)" or "the request limit (2)". */
export function scopeWords(scope: Scope | undefined): string {
  return scope === undefined || scope === '*' ? '' : `${providerDisplayName(scope)} `;
}
