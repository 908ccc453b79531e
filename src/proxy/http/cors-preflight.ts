import type { Context } from 'koa';

const ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'x-api-key',
  'anthropic-version',
  'anthropic-beta',
  'anthropic-dangerous-direct-browser-access',
  'idempotency-key',
  'x-stainless-lang',
  'x-stainless-package-version',
  'x-stainless-os',
  'x-stainless-arch',
  'x-stainless-runtime',
  'x-stainless-runtime-version',
  'x-stainless-retry-count',
  'x-stainless-timeout',
].join(', ');

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
