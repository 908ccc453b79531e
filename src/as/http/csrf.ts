import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';

const COOKIE = 'mandate.csrf';

/**
 * Signed double-submit CSRF protection: a random value in an HttpOnly, SameSite=Lax
 * cookie, and in every form an HMAC of it (keyed with the first cookie key) that an
 * attacker on another origin can neither read nor forge.
 */
export function createCsrf({ key, secure }: { key: string; secure: boolean }) {
  const mac = (value: string) => createHmac('sha256', key).update(`csrf:${value}`).digest('base64url');

  return {
    /** The token to embed in a form, setting the cookie if the browser has none yet. */
    token(ctx: Context): string {
      let value = ctx.cookies.get(COOKIE);
      if (!value || !/^[A-Za-z0-9_-]{43}$/.test(value)) {
        value = randomBytes(32).toString('base64url');
        ctx.cookies.set(COOKIE, value, { httpOnly: true, sameSite: 'lax', secure, path: '/', signed: false });
      }
      return mac(value);
    },
    /** Whether the submitted token matches this browser's cookie. */
    verify(ctx: Context, submitted: string | null): boolean {
      const value = ctx.cookies.get(COOKIE);
      if (!value || !submitted) return false;
      const a = Buffer.from(mac(value));
      const b = Buffer.from(submitted);
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}

export type Csrf = ReturnType<typeof createCsrf>;
