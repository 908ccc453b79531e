import type { Context, Next } from 'koa';
import { renderNotFound } from '../views/index.ts';
import { sendHtml } from './html-response.ts';

/**
 * A request nothing answered (Koa would send a bare "Not Found" text) gets the HTML
 * "Page not found" page when the client takes HTML, a browser. Answers with a body of
 * their own (oidc-provider's JSON errors, the account API's) are left as they are.
 */
export async function notFoundPage(ctx: Context, next: Next): Promise<void> {
  await next();
  if (ctx.status !== 404 || ctx.body != null || ctx.accepts('html') !== 'html') return;
  sendHtml(ctx, renderNotFound(), 404);
}
