import type { ListenHandlers } from '../../../../src/proxy/liveness/pg-listen.ts';
import type { Timers } from '../../../../src/proxy/liveness/timers.ts';
import type { RevocationEntry } from '../../../../src/storage/revocation-store.ts';

/** Timers that fire only when the test says so. */
export function manualTimers() {
  let nextId = 1;
  const intervals = new Map<number, { fn: () => void; ms: number }>();
  const timeouts = new Map<number, { fn: () => void; ms: number }>();
  const timers: Timers = {
    setInterval(fn, ms) {
      intervals.set(nextId, { fn, ms });
      return nextId++;
    },
    clearInterval(handle) {
      intervals.delete(handle as number);
    },
    setTimeout(fn, ms) {
      timeouts.set(nextId, { fn, ms });
      return nextId++;
    },
    clearTimeout(handle) {
      timeouts.delete(handle as number);
    },
  };
  return {
    timers,
    tickIntervals() {
      for (const { fn } of intervals.values()) fn();
    },
    /** Fires every pending timeout; returns their delays. */
    runTimeouts(): number[] {
      const due = [...timeouts.entries()];
      for (const [id] of due) timeouts.delete(id);
      for (const [, { fn }] of due) fn();
      return due.map(([, { ms }]) => ms);
    },
    pendingTimeouts: () => [...timeouts.values()].map((t) => t.ms),
    intervalCount: () => intervals.size,
  };
}

/** An in-memory revocation log whose reads the test can hold open or make fail. */
export function fakeLog() {
  const log: RevocationEntry[] = [];
  let concurrent = 0;
  let gate: Promise<void> | undefined;
  const state = { reads: 0, maxConcurrent: 0, fail: undefined as Error | undefined };
  return {
    state,
    append(kind: 'grant' | 'token', subjectId: string) {
      const seq = (log.at(-1)?.seq ?? 0) + 1;
      log.push({
        seq,
        kind,
        subjectId,
        grantId: kind === 'grant' ? subjectId : null,
        reason: 'cli',
        createdAt: 0,
      });
      return seq;
    },
    /** Holds every read until the returned function is called. */
    hold() {
      const d = Promise.withResolvers<void>();
      gate = d.promise;
      return () => {
        gate = undefined;
        d.resolve();
      };
    },
    revocations: {
      async readLog(afterSeq: number, limit = 1000) {
        state.reads += 1;
        concurrent += 1;
        state.maxConcurrent = Math.max(state.maxConcurrent, concurrent);
        try {
          if (gate) await gate;
          if (state.fail) throw state.fail;
          return log.filter((e) => e.seq > afterSeq).slice(0, limit);
        } finally {
          concurrent -= 1;
        }
      },
      async lastSeq() {
        if (state.fail) throw state.fail;
        return log.at(-1)?.seq ?? 0;
      },
    },
  };
}

/** A LISTEN stand-in: the test notifies, drops the connection, or makes connects fail. */
export function fakeListen() {
  let handlers: ListenHandlers | undefined;
  const state = { connects: 0, failConnect: undefined as Error | undefined, open: false };
  return {
    state,
    listen: async (h: ListenHandlers) => {
      state.connects += 1;
      if (state.failConnect) throw state.failConnect;
      handlers = h;
      state.open = true;
      return async () => {
        state.open = false;
        handlers = undefined;
      };
    },
    notify(payload: string) {
      handlers?.onNotify(payload);
    },
    drop() {
      const h = handlers;
      handlers = undefined;
      state.open = false;
      h?.onLost(new Error('terminated'));
    },
  };
}
