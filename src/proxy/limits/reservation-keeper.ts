import type { BudgetStore, ReapedReservation } from '../../storage/budget-store.ts';

/**
 * Keeps this proxy's reservations honest across crashes: it beats (`proxy_heartbeats`)
 * every `heartbeatIntervalMs`, declaring itself alive for `reapAfterMs`, and on the same
 * tick closes the reservations of proxies past their own declared time. A reaped reservation stays charged at its reserved amount,
 * its worst case: the upstream may have answered in full, and no one is left to say.
 * The first beat happens before the first reservation (`ready`).
 */
export function createReservationKeeper(deps: {
  store: Pick<BudgetStore, 'beat' | 'reap' | 'forget'>;
  proxyId: string;
  heartbeatIntervalMs: number;
  reapAfterMs: number;
  /** Each reaped reservation, for its usage record. */
  onReaped(reservation: ReapedReservation): void;
  onError(err: unknown): void;
}) {
  let timer: NodeJS.Timeout | undefined;
  let beaten: Promise<void> | undefined;
  let ticking = false;
  let stopped = false;
  /** Settlements that failed (database unreachable): retried every tick until they land. */
  let unsettled: Array<() => Promise<unknown>> = [];

  async function retryUnsettled(): Promise<void> {
    const waiting = unsettled;
    unsettled = [];
    for (const settle of waiting) {
      try {
        await settle();
      } catch (err) {
        unsettled.push(settle);
        deps.onError(err);
      }
    }
  }

  async function tick(): Promise<void> {
    if (ticking) return;
    ticking = true;
    try {
      await deps.store.beat(deps.proxyId, deps.reapAfterMs);
      await retryUnsettled();
      for (const reaped of await deps.store.reap()) deps.onReaped(reaped);
    } catch (err) {
      deps.onError(err);
    } finally {
      ticking = false;
    }
  }

  return {
    /** Resolves once this proxy has beaten at least once (starts beating on the first call). */
    ready(): Promise<void> {
      if (stopped) return Promise.resolve();
      if (!timer) {
        timer = setInterval(() => void tick(), deps.heartbeatIntervalMs);
        timer.unref();
      }
      beaten ??= deps.store.beat(deps.proxyId, deps.reapAfterMs).catch((err) => {
        beaten = undefined;
        throw err;
      });
      return beaten;
    },
    /** A settlement that could not be written: it is retried until it lands. */
    retry(settle: () => Promise<unknown>): void {
      unsettled.push(settle);
    },
    /** Settlements still waiting to be written. */
    get unsettled(): number {
      return unsettled.length;
    },
    /**
     * Stops beating. Settlements still failing stay charged at their reserved amount
     * (the reaper closes them once this proxy is silent); otherwise this proxy is forgotten.
     */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await retryUnsettled();
      if (beaten && unsettled.length === 0) await deps.store.forget(deps.proxyId).catch(deps.onError);
    },
  };
}

export type ReservationKeeper = ReturnType<typeof createReservationKeeper>;
