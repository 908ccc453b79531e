import type { Clock } from './clock.ts';
import type { Database } from './create-database.ts';

/**
 * Counts sign-in attempts per key (an account name or an address) in a fixed window,
 * shared by every authorization-server process through the database. An attempt is
 * claimed atomically before the password is checked, so a burst of simultaneous
 * guesses cannot slip past the limit; a successful one gives its claim back.
 */
export function createLoginFailureStore(db: Database, clock: Clock, windowMs: number) {
  return {
    /** Counts one more attempt and returns the count in the current window. */
    async claim(key: string): Promise<{ count: number; retryAfterSeconds: number }> {
      const now = clock();
      const expired = 'login_failures.window_started_at + ? <= ?';
      const result = await db.raw(
        `insert into login_failures (key, failures, window_started_at) values (?, 1, ?)
         on conflict (key) do update set
           failures = case when ${expired} then 1 else login_failures.failures + 1 end,
           window_started_at = case when ${expired} then ? else login_failures.window_started_at end
         returning failures, window_started_at`,
        [key, now, windowMs, now, windowMs, now, now],
      );
      const row = (Array.isArray(result) ? result[0] : result.rows[0]) as {
        failures: number;
        window_started_at: number;
      };
      const windowEnds = Number(row.window_started_at) + windowMs;
      return {
        count: Number(row.failures),
        retryAfterSeconds: Math.max(1, Math.ceil((windowEnds - now) / 1000)),
      };
    },
    /** Gives back one claimed attempt (a successful sign-in, or one refused before checking). */
    async release(key: string): Promise<void> {
      await db('login_failures')
        .where({ key })
        .where('failures', '>', 0)
        .update({ failures: db.raw('failures - 1') });
    },
    async clear(key: string): Promise<void> {
      await db('login_failures').where({ key }).delete();
    },
    async purge(): Promise<number> {
      return db('login_failures')
        .where('window_started_at', '<=', clock() - windowMs)
        .delete();
    },
  };
}

export type LoginFailureStore = ReturnType<typeof createLoginFailureStore>;
