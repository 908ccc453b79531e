import { decoyPasswordHash, verifyPassword } from '../../shared/password.ts';
import type { Account, AccountStore } from '../../storage/account-store.ts';
import type { LoginThrottle } from './login-throttle.ts';

export type PasswordCheck =
  | { ok: true; account: Account }
  | { ok: false; throttled: true; retryAfterSeconds: number }
  | { ok: false; throttled: false };

/**
 * The one place a password is checked (sign-in on either page, and the current password
 * when changing it): throttled per account and address, and as slow for an unknown
 * account as for a known one.
 */
export function createPasswordCheck(accounts: AccountStore, throttle: LoginThrottle) {
  // Made now, so the first unknown account is not slower than the rest.
  const decoy = decoyPasswordHash();
  decoy.catch(() => undefined);
  return async function checkPassword(
    username: string,
    password: string,
    ip: string,
  ): Promise<PasswordCheck> {
    const attempt = await throttle.attempt(username, ip);
    if (!attempt.allowed) return { ok: false, throttled: true, retryAfterSeconds: attempt.retryAfterSeconds };
    const account = username ? await accounts.findByUsername(username) : undefined;
    const ok = await verifyPassword(password, account?.passwordHash ?? (await decoy));
    await attempt.done(Boolean(account && ok));
    return account && ok ? { ok: true, account } : { ok: false, throttled: false };
  };
}

export type CheckPassword = ReturnType<typeof createPasswordCheck>;
