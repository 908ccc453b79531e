import type { Context } from 'koa';
import { CORS_ALLOWED_HEADERS } from '../forward/client-headers.ts';

const ALLOWED_HEADERS = CORS_ALLOWED_HEADERS.join(', ');

/**
 * A preflight carries no token, so it is answered for origins registered by some app;
 * the request that follows is then held to the origins of the token's own app.
 */
export async function answerPreflight(
  ctx: Context,
  knownOrigins: () => Promise<ReadonlySet<string>>,
): Promise<void> {
  const origin = ctx.get('origin');
  ctx.vary('Origin');
  if (!origin || !(await knownOrigins()).has(origin)) {
    ctx.status = 403;
    return;
  }
  ctx.status = 204;
  ctx.set('access-control-allow-origin', origin);
  ctx.set('access-control-allow-methods', 'GET, POST');
  ctx.set('access-control-allow-headers', ALLOWED_HEADERS);
  ctx.set('access-control-max-age', '600');
}
