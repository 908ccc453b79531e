import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import { isAiScope, splitScopeParam } from '../../scopes/index.ts';
import { allowedScopesFor } from '../provider/resource-server.ts';
import { providerRoute } from './provider-route.ts';
import { readBody, replayBody } from './replay-body.ts';

/**
 * An authorization request that names no AI scope (none, or only `openid`) asks for
 * everything its client may ask for: the consent page then lists those scopes (its
 * registered patterns, or the open-door scopes), and the person chooses among them,
 * within the operator's and the client's maximums. A client that may ask for nothing
 * is left to be refused (`invalid_scope`). Pushed requests (`/request`) are not changed.
 */
export function defaultScopes({
  provider,
  openDoorScopes,
}: {
  provider: Provider;
  openDoorScopes: readonly string[];
}) {
  /** The scope to ask for instead, or undefined to leave the request as it is. */
  async function widened(params: URLSearchParams): Promise<string | undefined> {
    const scopes = splitScopeParam(params.get('scope') ?? '');
    const clientId = params.get('client_id');
    if (scopes.some(isAiScope) || !clientId || params.has('request') || params.has('request_uri'))
      return undefined;
    const client = await provider.Client.find(clientId).catch(() => undefined);
    if (!client) return undefined;
    const allowed = allowedScopesFor(client as never, openDoorScopes);
    return allowed.length > 0 ? [...scopes, ...allowed].join(' ') : undefined;
  }

  return async function defaultScopesMiddleware(ctx: Context, next: Next): Promise<void> {
    if (providerRoute(ctx.path).route !== '/auth') return next();
    const query = new URLSearchParams(ctx.querystring);
    if (ctx.method === 'GET') {
      const scope = await widened(query);
      if (scope !== undefined) {
        query.set('scope', scope);
        ctx.querystring = query.toString();
      }
    } else if (ctx.method === 'POST' && ctx.is('application/x-www-form-urlencoded')) {
      const body = await readBody(ctx);
      if (body === undefined) {
        ctx.status = 413;
        ctx.body = { error: 'invalid_request', error_description: 'request entity too large' };
        return;
      }
      const form = new URLSearchParams(body.toString('utf8'));
      const scope = await widened(form);
      if (scope !== undefined) form.set('scope', scope);
      replayBody(ctx, scope !== undefined ? Buffer.from(form.toString()) : body);
    }
    return next();
  };
}
