import type { Context } from 'koa';

/** Sends a rendered page; pages with forms or personal data are never cached. */
export function sendHtml(ctx: Context, body: string, status = 200): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
}
