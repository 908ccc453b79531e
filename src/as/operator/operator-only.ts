import type { Context, Middleware, Next } from 'koa';
import type { Account } from '../../storage/account-store.ts';
import type { BrowserSession } from '../http/browser-session.ts';
import type { Csrf } from '../http/csrf.ts';
import { sendHtml } from '../http/html-response.ts';
import { readForm } from '../http/read-form.ts';
import { renderMessage } from '../views/index.ts';

export type OperatorState = { account: Account; form?: URLSearchParams };

const isOperatorPath = (path: string) => path === '/operator' || path.startsWith('/operator/');

/**
 * Puts the operator's pages in front of the rest of the AS for operators only. For anyone
 * else (signed out, a person without the role, a forged or stale cookie) an /operator URL
 * is passed on untouched, so it gets exactly what any unknown URL gets (a 404): the
 * pages' existence is not revealed. An operator's POST must carry this browser's CSRF
 * token (403 otherwise) and leaves its form in `ctx.state.form`.
 */
export function operatorOnly(
  { session, csrf }: { session: BrowserSession; csrf: Csrf },
  routes: Middleware,
): Middleware {
  return async function operatorPages(ctx: Context, next: Next) {
    if (!isOperatorPath(ctx.path)) return next();
    const account = await session.account(ctx);
    if (!account?.operator) return next();
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
    return routes(ctx, next);
  };
}
