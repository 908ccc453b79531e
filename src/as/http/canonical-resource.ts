import type { Context, Next } from 'koa';
import { providerRoute } from './provider-route.ts';
import { readBody, replayBody } from './replay-body.ts';

/** oidc-provider's endpoints that take a `resource` parameter (RFC 8707). */
const RESOURCE_ENDPOINTS = new Set(['/auth', '/token', '/request']);

/**
 * RFC 8707 resource indicators: the proxy URL with or without a trailing slash is the
 * same resource (MCP clients send `http://host:port/`, from `URL.href`). The other form
 * is rewritten to the configured one before oidc-provider reads the request, so grants,
 * codes and tokens only ever hold one form. Nothing else is loosened: any other value
 * reaches oidc-provider as sent and is refused there (`invalid_target`).
 */
export function canonicalResource(proxyUrl: string) {
  const bare = proxyUrl.replace(/\/$/, '');
  const equivalent = new Set([bare, `${bare}/`]);
  equivalent.delete(proxyUrl);

  /** Rewrites every `resource` value that is the other form; true when one was. */
  function rewrite(params: URLSearchParams): boolean {
    const values = params.getAll('resource');
    if (!values.some((v) => equivalent.has(v))) return false;
    params.delete('resource');
    for (const v of values) params.append('resource', equivalent.has(v) ? proxyUrl : v);
    return true;
  }

  return async function canonicalResourceMiddleware(ctx: Context, next: Next): Promise<void> {
    if (!RESOURCE_ENDPOINTS.has(providerRoute(ctx.path).route)) return next();
    const query = new URLSearchParams(ctx.querystring);
    if (rewrite(query)) ctx.querystring = query.toString();
    if (ctx.method === 'POST' && ctx.is('application/x-www-form-urlencoded')) {
      const body = await readBody(ctx);
      if (body === undefined) {
        ctx.status = 413;
        ctx.body = { error: 'invalid_request', error_description: 'request entity too large' };
        return;
      }
      const form = new URLSearchParams(body.toString('utf8'));
      replayBody(ctx, rewrite(form) ? Buffer.from(form.toString()) : body);
    }
    return next();
  };
}
