import type Router from '@koa/router';
import type { default as Provider } from 'oidc-provider';
import type { Stores } from '../../storage/index.ts';
import type { GrantUsageOf } from '../../usage/grant-usage.ts';
import { AsError } from '../http/as-error.ts';
import type { BrowserSession } from '../http/browser-session.ts';
import { createClientNames } from './app-views.ts';
import type { AccountState } from './signed-in.ts';
import { usageJson } from './usage-json.ts';

interface Deps {
  provider: Provider;
  stores: Stores;
  session: BrowserSession;
  grantUsage: GrantUsageOf;
}

/**
 * GET /account/api/grants/<grantId>/usage: one of the signed-in person's grants and its
 * figures as JSON, for their own tools. Authenticated by the session cookie; it sends no
 * CORS headers, and a browser request another site started (Sec-Fetch-Site) is refused.
 */
export function addUsageApiRoutes(
  router: Router<AccountState>,
  { provider, stores, session, grantUsage }: Deps,
) {
  router.get('/account/api/grants/:grantId/usage', async (ctx) => {
    const site = ctx.get('sec-fetch-site');
    // Refusals are thrown: the error handler answers them as `{ error, error_description }`.
    if (site && site !== 'same-origin' && site !== 'none')
      throw new AsError('forbidden', 403, 'same-origin requests only');
    const account = await session.account(ctx);
    if (!account) throw new AsError('unauthorized', 401, 'sign in first');
    const grant = await stores.grants.find(ctx.params.grantId as string);
    if (!grant || grant.accountId !== account.id)
      throw new AsError('not_found', 404, 'no such connected app');
    const usage = await grantUsage(grant, stores.clock());
    ctx.set('Cache-Control', 'no-store');
    ctx.body = usageJson(grant, await createClientNames(provider)(grant.clientId), usage);
  });
}
