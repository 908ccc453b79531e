import type { Context, Next } from 'koa';
import { errors } from 'oidc-provider';
import type { Logger } from 'pino';
import { renderMessage } from '../views/index.ts';
import { AsError, UNEXPECTED } from './as-error.ts';
import { sendHtml } from './html-response.ts';

/** The routes this handler answers for; oidc-provider's own endpoints keep its handler. */
const OWN = /^\/(?:interaction\/|account(?:\/|$))/;
const API = /^\/account\/api\//;

/** What a thrown error means for the person: known refusals keep their code, the rest is a 500. */
function toAsError(err: unknown): AsError {
  if (err instanceof AsError) return err;
  if (err instanceof errors.SessionNotFound) {
    return new AsError('interaction_expired', 400, 'Go back to the app and start again.', {
      title: 'This sign-in link has expired',
    });
  }
  return UNEXPECTED;
}

/**
 * The one place the AS's own routes (interaction pages, account pages, the account JSON
 * API) turn errors into responses: an HTML page, or `{ error, error_description }` under
 * /account/api/. A refusal is logged as one info line with its code; an unexpected error
 * as one error line through the redacting serializer, and the person sees only a
 * generic message.
 */
export function createErrorHandler(logger: Logger) {
  const log = logger.child({ component: 'pages' });
  return async function errorHandler(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (err) {
      if (!OWN.test(ctx.path) || ctx.headerSent) throw err;
      const out = toAsError(err);
      const where = {
        method: ctx.method,
        route: (ctx as { _matchedRoute?: string })._matchedRoute ?? ctx.path,
      };
      if (out.expose)
        log.info({ event: 'refused', code: out.code, status: out.status, ...where }, 'request refused');
      else
        log.error({ event: 'error', code: out.code, status: out.status, ...where, err }, 'unexpected error');
      if (API.test(ctx.path)) {
        ctx.status = out.status;
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { error: out.code, error_description: out.message };
        return;
      }
      sendHtml(ctx, renderMessage({ title: out.title, message: out.message, status: 'error' }), out.status);
    }
  };
}
