import type { Clock } from './clock.ts';
import type { Database } from './create-database.ts';

/**
 * Counts failed sign-ins per key (an account name or an address) in a fixed window,
 * shared by every authorization-server process through the database.
 */
export function createLoginFailureStore(db: Database, clock: Clock, windowMs: number) {
  return {
    async failures(key: string): Promise<number> {
      const row = await db('login_failures').where({ key }).first();
      if (!row || Number(row.window_started_at) + windowMs <= clock()) return 0;
      return Number(row.failures);
    },
    /** Seconds until the window that holds `key`'s failures ends. */
    async retryAfterSeconds(key: string): Promise<number> {
      const row = await db('login_failures').where({ key }).first();
      if (!row) return 0;
      return Math.max(0, Math.ceil((Number(row.window_started_at) + windowMs - clock()) / 1000));
    },
    async recordFailure(key: string): Promise<void> {
      const now = clock();
      await db.transaction(async (trx) => {
        const row = await trx('login_failures').where({ key }).first();
        if (!row || Number(row.window_started_at) + windowMs <= now) {
          await trx('login_failures')
            .insert({ key, failures: 1, window_started_at: now })
            .onConflict('key')
            .merge({ failures: 1, window_started_at: now });
        } else {
          await trx('login_failures')
            .where({ key })
            .update({ failures: trx.raw('failures + 1') });
        }
      });
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
