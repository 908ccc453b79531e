import type { Context, Next } from 'koa';
import type { Account } from '../../storage/account-store.ts';
import type { BrowserSession } from '../http/browser-session.ts';
import type { Csrf } from '../http/csrf.ts';
import { sendHtml } from '../http/html-response.ts';
import { readForm } from '../http/read-form.ts';
import { renderMessage } from '../views/index.ts';

export type AccountState = { account: Account; form?: URLSearchParams };

/**
 * Guards the person's own pages: signed-out GETs go to the sign-in page, signed-out
 * POSTs get 401; every POST must carry this browser's CSRF token (403 otherwise) and
 * leaves its form in `ctx.state.form`.
 */
export function createSignedIn({ session, csrf }: { session: BrowserSession; csrf: Csrf }) {
  return async function signedIn(ctx: Context, next: Next) {
    const account = await session.account(ctx);
    if (!account) {
      if (ctx.method === 'GET' || ctx.method === 'HEAD') return ctx.redirect('/account/login');
      return sendHtml(
        ctx,
        renderMessage({ title: 'Signed out', message: 'Sign in again.', status: 'error' }),
        401,
      );
    }
    ctx.state.account = account;
    if (ctx.method === 'POST') {
      const form = await readForm(ctx);
      if (!csrf.verify(ctx, form.get('csrf'))) {
        return sendHtml(
          ctx,
          renderMessage({
            title: 'Form expired',
            message: 'Go back, reload the page and try again.',
            status: 'error',
          }),
          403,
        );
      }
      ctx.state.form = form;
    }
    await next();
  };
}
