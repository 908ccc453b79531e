import type { LoginFailureStore } from '../../storage/login-failure-store.ts';

/**
 * Failed sign-ins are counted per account name and per client address; past the limit
 * in the window, further attempts on either are refused until the window ends.
 */
export function createLoginThrottle(store: LoginFailureStore, maxFailures: number) {
  const keys = (username: string, ip: string) => [`user:${username.trim().toLowerCase()}`, `ip:${ip}`];
  return {
    /** Seconds to wait, or 0 when an attempt is allowed. */
    async blockedFor(username: string, ip: string): Promise<number> {
      let wait = 0;
      for (const key of keys(username, ip)) {
        if ((await store.failures(key)) >= maxFailures)
          wait = Math.max(wait, await store.retryAfterSeconds(key));
      }
      return wait;
    },
    async failed(username: string, ip: string): Promise<void> {
      for (const key of keys(username, ip)) await store.recordFailure(key);
    },
    async succeeded(username: string): Promise<void> {
      await store.clear(keys(username, '')[0] as string);
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
