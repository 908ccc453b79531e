import type { Context, Next } from 'koa';
import type { LoginFailureStore } from '../../storage/login-failure-store.ts';
import { renderMessage } from '../views/index.ts';

/** Set on the context by the confirm page's source: the typed user code was a live one. */
export const USER_CODE_ACCEPTED = 'mandateUserCodeAccepted';

/**
 * Wrong user codes at the device page (RFC 8628 §5.1) are limited per client address,
 * in the sign-in throttle's window and store (so across AS processes): every code
 * typed claims an attempt; a code that was found gives it back. Past the limit the page
 * answers 429 with Retry-After until the window ends.
 */
export function createUserCodeThrottle({
  store,
  maxFailures,
  path,
}: {
  store: LoginFailureStore;
  maxFailures: number;
  path: string;
}) {
  return async function userCodeThrottle(ctx: Context, next: Next): Promise<void> {
    if (ctx.method !== 'POST' || ctx.path !== path) return next();
    const key = `device-ip:${ctx.ip}`;
    const claimed = await store.claim(key);
    if (claimed.count > maxFailures) {
      await store.release(key);
      ctx.status = 429;
      ctx.set('retry-after', String(claimed.retryAfterSeconds));
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = renderMessage({
        title: 'Too many codes tried',
        message: `Too many wrong codes were typed from this address. Try again in ${Math.ceil(claimed.retryAfterSeconds / 60)} minutes.`,
      });
      return;
    }
    await next();
    if (ctx.state[USER_CODE_ACCEPTED] === true || (ctx.status >= 300 && ctx.status < 400))
      await store.release(key);
  };
}
