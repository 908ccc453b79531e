import type { Clock } from '../../storage/clock.ts';

/**
 * A fixed-window counter per key (a client address, a host), in memory: at most `max`
 * hits per `windowMs`. Enough for one AS process; each process counts on its own.
 */
export function createRateLimiter({ max, windowMs, clock }: { max: number; windowMs: number; clock: Clock }) {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return {
    /** Counts a hit; returns undefined when allowed, else the seconds until the window resets. */
    hit(key: string): number | undefined {
      const now = clock();
      if (windows.size > 10_000) {
        for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
      }
      let w = windows.get(key);
      if (!w || w.resetAt <= now) {
        w = { count: 0, resetAt: now + windowMs };
        windows.set(key, w);
      }
      if (w.count >= max) return Math.max(1, Math.ceil((w.resetAt - now) / 1000));
      w.count += 1;
      return undefined;
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
