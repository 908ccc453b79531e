import type { LoginFailureStore } from '../../storage/login-failure-store.ts';

export type Attempt =
  | {
      allowed: true /** Call with the outcome once the password was checked. */;
      done(success: boolean): Promise<void>;
    }
  | { allowed: false; retryAfterSeconds: number };

/**
 * Password checks are limited per account name and per client address: each check
 * claims an attempt on both before the password is compared; past the limit in the
 * window, further attempts are refused until the window ends. Success clears the
 * account's count and gives the address its attempt back.
 */
export function createLoginThrottle(store: LoginFailureStore, maxFailures: number) {
  return {
    async attempt(username: string, ip: string): Promise<Attempt> {
      const userKey = `user:${username.trim().toLowerCase()}`;
      const ipKey = `ip:${ip}`;
      const [user, addr] = await Promise.all([store.claim(userKey), store.claim(ipKey)]);
      const over = [user, addr].filter((c) => c.count > maxFailures);
      if (over.length > 0) {
        await Promise.all([store.release(userKey), store.release(ipKey)]);
        return { allowed: false, retryAfterSeconds: Math.max(...over.map((c) => c.retryAfterSeconds)) };
      }
      return {
        allowed: true,
        async done(success) {
          if (success) await Promise.all([store.clear(userKey), store.release(ipKey)]);
        },
      };
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
