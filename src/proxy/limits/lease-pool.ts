import { randomUUID } from 'node:crypto';
import type { Provider } from '../../scopes/index.ts';
import type { Counters } from '../../storage/budget-decision.ts';
import {
  type BudgetStore,
  LEASE_ID_PREFIX,
  type Remaining,
  type ReservationNote,
} from '../../storage/budget-store.ts';
import type { Clock } from '../../storage/clock.ts';
import { type LeaseSizing, sizeLease } from './lease-size.ts';
import { type Sized, type SizeResult, withRoomToSpare } from './size-reservation.ts';

/** A slice's measures: the ledger's counters. */
type Counts = Counters;

const ZERO: Counts = { requests: 0, tokens: 0, microUsd: 0 };
const plus = (a: Counts, b: Counts): Counts => ({
  requests: a.requests + b.requests,
  tokens: a.tokens + b.tokens,
  microUsd: a.microUsd + b.microUsd,
});
const minus = (a: Counts, b: Counts): Counts => ({
  requests: a.requests - b.requests,
  tokens: a.tokens - b.tokens,
  microUsd: a.microUsd - b.microUsd,
});
const atLeastZero = (a: Counts): Counts => ({
  requests: Math.max(0, a.requests),
  tokens: Math.max(0, a.tokens),
  microUsd: Math.max(0, a.microUsd),
});
const isZero = (a: Counts) => a.requests === 0 && a.tokens === 0 && a.microUsd === 0;

/** One slice this proxy holds: a reservation row of several requests, spent in memory. */
interface Lease {
  id: string;
  key: string;
  grantId: string;
  /** The grants it also counts in (a child's ancestors): a change of theirs returns it too. */
  ancestors: readonly string[];
  /** Which caps the chain has: a request is sized against them as if all of them were free. */
  caps: { tokens: boolean; microUsd: boolean };
  /** What its row holds (as last written, or being written). */
  held: Counts;
  /** Of `held`, what requests running now reserve (each its worst case). */
  inFlight: Counts;
  /** What finished requests used since the last write (not yet settled in the ledger). */
  used: Counts;
  /** No new requests: it is being returned (runs low, a limit changed, idle, the proxy stops). */
  closing: boolean;
  /** The reaper closed its row (this proxy was taken for dead): it is charged in full. */
  gone: boolean;
  /** When the period it counts in ends: not used past it. */
  resetsAt: number | null;
  takenAt: number;
  lastUsedAt: number;
  served: number;
  /** Its writes, one after another. */
  writes: Promise<void>;
}

/** A request admitted out of a lease: its sizing, and how it settles (in memory). */
export interface LeaseTicket {
  sized: Sized;
  /** Its worst case, reserved out of the slice. */
  reserved: { tokens: number; microUsd: number };
  /** What the request is charged; written to the ledger with the lease's next write. */
  settle(charge: Counts): void;
}

export interface LeaseRequest {
  grantId: string;
  provider: Provider;
  note: ReservationNote;
  /** The request's sizing against what remains (`sizeReservation` with its bound). */
  size(remaining: Remaining): SizeResult;
}

/** How often at most this proxy asks the others, in the log, to return one grant's slices. */
const RECLAIM_ASK_MS = 500;

/** How many slices one request may see taken (a burst spending each) before it reserves on its own. */
const MAX_TAKES_PER_REQUEST = 4;

/** Sizing against caps with room to spare: the request's own worst case, unlowered. */
const unlowered = (caps: { tokens: boolean; microUsd: boolean }): Remaining =>
  withRoomToSpare({ requests: null, tokens: caps.tokens ? 0 : null, microUsd: caps.microUsd ? 0 : null });

/**
 * Leases (docs/limits.md#leases): for a capped grant, this proxy takes a slice of what
 * remains (several requests' worst cases, as one reservation row, in one write) and
 * admits requests against it in memory. A request is admitted only when its worst case,
 * sized as if the caps had room to spare, fits what the slice has free, so it is sized
 * and bounded exactly as without a lease (the slice is part of what remains). What
 * requests use is written every `flushIntervalMs` (one write per lease, however many
 * requests): the row then holds what is in flight and free, the rest is settled usage.
 * A slice that runs low, idles `idleMs`, outlives its period, or whose grant's limits
 * change (the revocation log: `changed`) is returned: its free part at once, what is in
 * flight as it settles. The rows are reservations of this proxy: a crashed proxy's
 * slices are reaped at what they held, like its requests' reservations.
 */
export function createLeasePool(deps: {
  store: Pick<BudgetStore, 'reserve' | 'moveLease' | 'reclaimLeases'>;
  proxyId: string;
  clock: Clock;
  sizing: LeaseSizing & { flushIntervalMs: number; idleMs: number };
  onError(err: unknown): void;
  /** Told of each slice taken and each request admitted out of one (metrics). */
  onSlice?(): void;
  onAdmitted?(): void;
}) {
  /** The slice each grant and provider admits out of. */
  const leases = new Map<string, Lease>();
  /** Every slice whose row is still open, those being returned too. */
  const open = new Set<Lease>();
  const taking = new Map<string, Promise<Lease | undefined>>();
  /** Requests waiting for a slice being taken, by grant and provider: the slice is sized to cover them. */
  const waiting = new Map<string, number>();
  /** Recent admissions per second of each grant and provider, from its last lease. */
  const demand = new Map<string, number>();
  /** Grants whose limits changed while a lease of theirs was being taken. */
  const changedWhileTaking = new Set<string>();
  /** When this proxy last asked the others to return a grant's slices. */
  const reclaimed = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const keyOf = (grantId: string, provider: Provider) => `${grantId}\u0000${provider}`;

  /** Writes the lease's row: settles what was used; holds `final` ? nothing : what is in flight and free. */
  function write(lease: Lease, final: boolean): Promise<void> {
    lease.writes = lease.writes.then(async () => {
      if (lease.gone) return;
      const used = lease.used;
      const before = lease.held;
      const hold = final
        ? null
        : lease.closing
          ? lease.inFlight
          : plus(lease.inFlight, atLeastZero(minus(minus(before, lease.inFlight), used)));
      if (hold && isZero(used) && isZero(minus(hold, before))) return;
      // Taken as written at once: what is free stays the same while the write runs.
      lease.used = ZERO;
      lease.held = hold ?? ZERO;
      try {
        const kept = await deps.store.moveLease(lease.id, used, hold);
        if (!kept) forget(lease, true);
        else if (final) forget(lease, false);
      } catch (err) {
        lease.used = plus(lease.used, used);
        lease.held = before;
        deps.onError(err);
      }
    });
    return lease.writes;
  }

  /** No more requests out of the lease; what it served tells the next one's size. */
  function stopAdmitting(lease: Lease) {
    if (lease.closing) return;
    lease.closing = true;
    const seconds = Math.max(0.05, (deps.clock() - lease.takenAt) / 1000);
    demand.set(lease.key, lease.served / seconds);
  }

  function forget(lease: Lease, gone: boolean) {
    lease.gone ||= gone;
    stopAdmitting(lease);
    open.delete(lease);
    if (leases.get(lease.key) === lease) leases.delete(lease.key);
  }

  /** Stops admitting out of the lease and returns what is free now (the rest as it settles). */
  function close(lease: Lease): Promise<void> {
    if (lease.gone) return lease.writes;
    stopAdmitting(lease);
    return write(lease, lease.inFlight.requests === 0);
  }

  function tick() {
    const now = deps.clock();
    for (const lease of open) {
      if (lease.gone) continue;
      if (lease.closing) {
        if (lease.inFlight.requests === 0 || !isZero(lease.used))
          void write(lease, lease.inFlight.requests === 0);
      } else if (
        (now - lease.lastUsedAt >= deps.sizing.idleMs ||
          (lease.resetsAt !== null && now >= lease.resetsAt)) &&
        lease.inFlight.requests === 0
      ) {
        void close(lease);
      } else if (!isZero(lease.used)) void write(lease, false);
    }
  }

  function startTicking() {
    if (timer || stopped) return;
    timer = setInterval(tick, deps.sizing.flushIntervalMs);
    timer.unref();
  }

  /**
   * Whether the request fits what the slice has free, under the caps the grant has: what
   * requests use of an uncapped measure (the tokens of a grant capped by requests only)
   * is charged, but the slice holds none of it.
   */
  function fits(lease: Lease, need: Counts): boolean {
    const free = minus(minus(lease.held, lease.inFlight), lease.used);
    return (
      free.requests >= need.requests &&
      (!lease.caps.tokens || free.tokens >= need.tokens) &&
      (!lease.caps.microUsd || free.microUsd >= need.microUsd)
    );
  }

  function ticketOf(lease: Lease, need: Counts, sized: Sized): LeaseTicket {
    lease.inFlight = plus(lease.inFlight, need);
    lease.lastUsedAt = deps.clock();
    lease.served++;
    deps.onAdmitted?.();
    let settled = false;
    return {
      sized,
      reserved: { tokens: need.tokens, microUsd: need.microUsd },
      settle(charge) {
        if (settled) return;
        settled = true;
        lease.inFlight = minus(lease.inFlight, need);
        lease.used = plus(lease.used, charge);
        lease.lastUsedAt = deps.clock();
        if (lease.closing && lease.inFlight.requests === 0) void write(lease, true);
      },
    };
  }

  /** Takes a new slice for the grant and provider, sized to `request` and the recent demand. */
  async function take(key: string, request: LeaseRequest): Promise<Lease | undefined> {
    const old = leases.get(key);
    if (old) await close(old);
    let caps = { tokens: false, microUsd: false };
    const id = `${LEASE_ID_PREFIX}${randomUUID()}`;
    const taken = await deps.store.reserve({
      id,
      grantId: request.grantId,
      provider: request.provider,
      proxyId: deps.proxyId,
      note: { ...request.note, lease: true },
      lease: true,
      size: (remaining) => {
        caps = { tokens: remaining.tokens !== null, microUsd: remaining.microUsd !== null };
        const one = request.size(withRoomToSpare(remaining));
        if (!one.ok) return { ok: false, refusal: { kind: 'no_slice' } };
        const slice = sizeLease(
          remaining,
          {
            perRequest: one.amounts,
            requestsPerSecond: demand.get(key) ?? 0,
            waiting: waiting.get(key) ?? 1,
          },
          deps.sizing,
        );
        if (!slice) return { ok: false, refusal: { kind: 'no_slice' } };
        return { ok: true, amounts: slice, sized: undefined };
      },
    });
    if (!taken.ok) return undefined;
    deps.onSlice?.();
    const now = deps.clock();
    const lease: Lease = {
      id,
      key,
      grantId: request.grantId,
      ancestors: taken.ancestors,
      caps,
      held: {
        requests: taken.reservation.requests,
        tokens: taken.reservation.tokens,
        microUsd: taken.reservation.microUsd,
      },
      inFlight: ZERO,
      used: ZERO,
      closing: false,
      gone: false,
      resetsAt: taken.resetsAt,
      takenAt: now,
      lastUsedAt: now,
      served: 0,
      writes: Promise.resolve(),
    };
    leases.set(key, lease);
    open.add(lease);
    startTicking();
    // Its limits changed while it was taken (the log said so before the row was written):
    // it may have been sized by the old ones.
    if (
      stopped ||
      changedWhileTaking.has(request.grantId) ||
      lease.ancestors.some((a) => changedWhileTaking.has(a))
    ) {
      await close(lease);
      return undefined;
    }
    return lease;
  }

  return {
    /**
     * Admits a request out of this proxy's slice of the grant (taking one when there is
     * none, or when the one held cannot fit it: that one is returned first). Undefined:
     * no slice (the grant takes none, none fits, or the request cannot be sized): reserve
     * it on its own.
     */
    async admit(request: LeaseRequest): Promise<LeaseTicket | undefined> {
      if (stopped) return undefined;
      const key = keyOf(request.grantId, request.provider);
      // A burst may spend a fresh slice before this request's turn: a few more are taken,
      // each a share of what remains then, before it reserves on its own.
      for (let round = 0; round < MAX_TAKES_PER_REQUEST; round++) {
        const lease = leases.get(key);
        if (lease && !lease.closing && !lease.gone) {
          const now = deps.clock();
          if (lease.resetsAt === null || now < lease.resetsAt) {
            const one = request.size(unlowered(lease.caps));
            if (!one.ok) return undefined;
            const need = { requests: 1, tokens: one.amounts.tokens, microUsd: one.amounts.microUsd };
            if (fits(lease, need)) return ticketOf(lease, need, one.sized);
          }
        }
        let pending = taking.get(key);
        if (!pending) {
          pending = take(key, request).finally(() => {
            taking.delete(key);
            if (taking.size === 0) changedWhileTaking.clear();
          });
          taking.set(key, pending);
        }
        waiting.set(key, (waiting.get(key) ?? 0) + 1);
        const taken = await pending.finally(() => {
          const left = (waiting.get(key) ?? 1) - 1;
          if (left > 0) waiting.set(key, left);
          else waiting.delete(key);
        });
        if (!taken) return undefined;
      }
      return undefined;
    },

    /**
     * The grant's limits changed, it was revoked, or another proxy wants its room (the
     * revocation log): its slices, and its children's, are returned; the next request
     * takes a fresh one under the limits as they are now.
     */
    changed(grantId: string): Promise<void> {
      if (taking.size > 0) changedWhileTaking.add(grantId);
      const closing: Promise<void>[] = [];
      for (const lease of open)
        if (lease.grantId === grantId || lease.ancestors.includes(grantId)) closing.push(close(lease));
      return Promise.all(closing).then(() => undefined);
    },

    /**
     * A request of the grant was refused as busy: returns this proxy's slices of it and
     * asks the other proxies to return theirs. True when there was anything to return
     * (the refusal may not hold once they are).
     */
    async reclaim(grantId: string): Promise<boolean> {
      const own = [...open].some((l) => l.grantId === grantId || l.ancestors.includes(grantId));
      await this.changed(grantId);
      // One ask in the log per grant and interval, however many requests are busy: an app
      // hammering a grant at its cap does not flood the log every proxy follows.
      const now = deps.clock();
      const asked = reclaimed.get(grantId);
      if (asked !== undefined && now - asked < RECLAIM_ASK_MS) return true;
      if (reclaimed.size >= 10_000) reclaimed.clear();
      reclaimed.set(grantId, now);
      const others = await deps.store.reclaimLeases(grantId, deps.proxyId);
      return own || others;
    },

    /** What this proxy holds (for tests and metrics): leases and the requests they cover. */
    held(): { leases: number; requests: number } {
      let requests = 0;
      for (const lease of open) requests += lease.held.requests;
      return { leases: open.size, requests };
    },

    /**
     * Returns every slice (after the drain: nothing is in flight, or what is stays held
     * for the reaper), writing what was used. Call before the keeper stops.
     */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await Promise.allSettled([...taking.values()]);
      await Promise.all([...open].map((lease) => close(lease)));
    },
  };
}

export type LeasePool = ReturnType<typeof createLeasePool>;
