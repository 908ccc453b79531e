import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { CookieNames } from './cookie-names.ts';

/**
 * CSRF protection for every state-changing form: a random value in an HttpOnly,
 * SameSite=Lax cookie, and in the form an HMAC (keyed with the first cookie key) over
 * that value AND the browser's session: oidc-provider's signed session id and, on the
 * interaction pages, the signed interaction id. A token and cookie pair minted in one
 * session is refused in any other, so a site that can plant cookies (a sibling
 * subdomain, on http) cannot submit a form into the victim's session with a pair it
 * obtained itself. Before sign-in on the account pages there is no session, and the
 * pair is bound to the cookie alone.
 */
export function createCsrf({ key, secure, names }: { key: string; secure: boolean; names: CookieNames }) {
  function binding(ctx: Context, value: string): string {
    const session = ctx.cookies.get(names.session, { signed: true }) ?? '';
    const interaction = ctx.cookies.get(names.interaction, { signed: true }) ?? '';
    return `csrf\u0000${value}\u0000${session}\u0000${interaction}`;
  }
  const mac = (ctx: Context, value: string) =>
    createHmac('sha256', key).update(binding(ctx, value)).digest('base64url');

  return {
    /** The token to embed in a form, setting the cookie if the browser has none yet. */
    token(ctx: Context): string {
      let value = ctx.cookies.get(names.csrf);
      if (!value || !/^[A-Za-z0-9_-]{43}$/.test(value)) {
        value = randomBytes(32).toString('base64url');
        ctx.cookies.set(names.csrf, value, {
          httpOnly: true,
          sameSite: 'lax',
          secure,
          path: '/',
          signed: false,
        });
      }
      return mac(ctx, value);
    },
    /** Whether the submitted token matches this browser's cookie and session. */
    verify(ctx: Context, submitted: string | null): boolean {
      const value = ctx.cookies.get(names.csrf);
      if (!value || !submitted) return false;
      const a = Buffer.from(mac(ctx, value));
      const b = Buffer.from(submitted);
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}

export type Csrf = ReturnType<typeof createCsrf>;
