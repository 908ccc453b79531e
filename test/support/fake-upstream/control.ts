/** Settings, queued and persistent plans, and the latches that hold stalled requests. */
import type { Recorder } from './recorder.ts';
import { pickSettings } from './settings.ts';
import type { Control, Plan, RecordedRequest, RequestPredicate, Settings } from './types.ts';

type Queued = { plan: Plan; match: RequestPredicate; left: number };
type Rule = { plan: Plan; match: RequestPredicate };

export type ControlState = Control & {
  /** The plan for a freshly recorded request (consumes a queued plan). */
  planFor(request: RecordedRequest): Plan;
  /** Give an in-flight request its release latch (at record time, so early releases count). */
  register(request: RecordedRequest): void;
  /** Resolves when `request` is released (or it ends, or the fake closes). */
  latch(request: RecordedRequest): Promise<void>;
  /** Forget the latch of a request that is over. */
  forget(request: RecordedRequest): void;
  releaseAll(): void;
};

const any: RequestPredicate = () => true;

export function createControl(initial: Partial<Settings>, recorder: Recorder): ControlState {
  let settings = pickSettings(initial);
  let queue: Queued[] = [];
  let rules: Rule[] = [];
  const latches = new Map<RecordedRequest, { promise: Promise<void>; resolve: () => void; open: boolean }>();

  const open = (entry: { resolve: () => void; open: boolean }) => {
    entry.open = true;
    entry.resolve();
  };

  // Waits look at requests recorded since the last reset unless told otherwise.
  let mark = 0;
  const waitFor =
    (condition: RequestPredicate) =>
    (match: RequestPredicate = any, options: { since?: number } = {}) =>
      recorder.waitUntil((request) => condition(request) && match(request), options.since ?? mark);

  return {
    get settings() {
      return settings;
    },
    set(changes) {
      settings = { ...settings, ...changes };
    },
    next(plan, options = {}) {
      queue.push({ plan, match: options.match ?? any, left: options.times ?? 1 });
    },
    always(plan, options = {}) {
      if (plan === null) rules = [];
      else rules.push({ plan, match: options.match ?? any });
    },
    release(match = any) {
      let released = 0;
      for (const [request, entry] of latches) {
        if (entry.open || !match(request)) continue;
        open(entry);
        released += 1;
      }
      return released;
    },
    reset() {
      mark = recorder.requests.length;
      settings = pickSettings(initial);
      queue = [];
      rules = [];
    },
    waitForRequest: waitFor(any),
    waitForAbort: waitFor((request) => request.aborted),
    waitForStall: waitFor((request) => request.stalled),
    waitForEnd: waitFor((request) => request.finished || request.aborted || request.dropped),
    planFor(request) {
      const queued = queue.find((entry) => entry.match(request));
      if (queued) {
        queued.left -= 1;
        if (queued.left <= 0) queue = queue.filter((entry) => entry !== queued);
        return queued.plan;
      }
      return rules.find((rule) => rule.match(request))?.plan ?? {};
    },
    register(request) {
      const { promise, resolve } = Promise.withResolvers<void>();
      latches.set(request, { promise, resolve, open: false });
    },
    latch(request) {
      return latches.get(request)?.promise ?? Promise.resolve();
    },
    forget(request) {
      const entry = latches.get(request);
      if (entry) open(entry);
      latches.delete(request);
    },
    releaseAll() {
      for (const entry of latches.values()) open(entry);
    },
  };
}
