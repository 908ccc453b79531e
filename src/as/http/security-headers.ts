import type { Context, Next } from 'koa';

/**
 * A CSP source for where a form may lead. Browsers check `form-action` against every
 * redirect that follows a form post, so the interaction pages must name the app's
 * redirect URI: consent ends in a redirect back to the app.
 */
export function formActionSource(uri: string): string | undefined {
  const url = URL.parse(uri);
  if (!url) return undefined;
  if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  return /^[a-z][a-z0-9+.-]*:$/i.test(url.protocol) ? url.protocol : undefined;
}

function csp(extraFormActions: readonly string[]): string {
  return [
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self'",
    `form-action ${["'self'", ...extraFormActions].join(' ')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** Strict headers on every response of the authorization server. */
export async function securityHeaders(ctx: Context, next: Next): Promise<void> {
  await next();
  ctx.set('Content-Security-Policy', csp((ctx.state.formActions as string[] | undefined) ?? []));
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
  if (ctx.secure) ctx.set('Strict-Transport-Security', 'max-age=31536000');
}
