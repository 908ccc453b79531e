import Router from '@koa/router';
import type { Context } from 'koa';
import type { default as Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import { hashPassword } from '../../shared/password.ts';
import type { Account } from '../../storage/account-store.ts';
import type { Stores } from '../../storage/index.ts';
import { describeLimits } from '../../usage/format-usage.ts';
import { createGrantUsage } from '../../usage/grant-usage.ts';
import type { BrowserSession } from '../http/browser-session.ts';
import type { CheckPassword } from '../http/check-password.ts';
import type { Csrf } from '../http/csrf.ts';
import { sendHtml } from '../http/html-response.ts';
import { readForm } from '../http/read-form.ts';
import {
  appPath,
  renderAccount,
  renderChangePassword,
  renderConfirm,
  renderLogin,
  renderMessage,
} from '../views/index.ts';
import { addConnectedAppRoutes } from './app-routes.ts';
import { createClientNames, scopeViews } from './app-views.ts';
import { addProviderKeyRoutes, type ProviderKeyPagesDeps } from './key-routes.ts';
import { type AccountState, createSignedIn } from './signed-in.ts';
import { addUsageApiRoutes } from './usage-api-routes.ts';

export interface AccountDeps {
  provider: Provider;
  stores: Stores;
  csrf: Csrf;
  session: BrowserSession;
  checkPassword: CheckPassword;
  providerKeys: ProviderKeyPagesDeps;
  logger: Logger;
}

const MIN_PASSWORD = 10;

/**
 * The person's own pages: connected apps with their usage, limits, history and Revoke,
 * provider keys, change password, sign in and out.
 */
export function createAccountRoutes({
  provider,
  stores,
  csrf,
  session,
  checkPassword,
  providerKeys,
  logger,
}: AccountDeps) {
  const router = new Router<AccountState>();

  // Errors (a bad form, anything unexpected) are answered by http/error-handler.ts.
  const log = logger.child({ component: 'account' });
  const signedIn = createSignedIn({ session, csrf });
  const grantUsage = createGrantUsage(stores.db);

  async function showApps(ctx: Context, account: Account, notice?: string) {
    const grants = await stores.grants.listLiveForAccount(account.id);
    const clientName = createClientNames(provider);
    const now = stores.clock();
    const apps = [];
    for (const g of grants) {
      apps.push({
        grantId: g.id,
        clientName: await clientName(g.clientId),
        scopes: scopeViews(g.scopes),
        grantedAt: new Date(g.createdAt),
        expiresAt: new Date(g.expiresAt),
        limitsText: describeLimits(g.limits),
        usage: await grantUsage.caps(g, now),
      });
    }
    sendHtml(
      ctx,
      renderAccount({
        csrfToken: csrf.token(ctx),
        username: account.username,
        apps,
        operator: account.operator,
        ...(notice ? { notice } : {}),
      }),
    );
  }

  router.get('/account/login', async (ctx) => {
    if (await session.account(ctx)) return ctx.redirect('/account');
    sendHtml(ctx, renderLogin({ action: '/account/login', csrfToken: csrf.token(ctx) }));
  });

  router.post('/account/login', async (ctx) => {
    const form = await readForm(ctx);
    const username = (form.get('username') ?? '').trim();
    const again = (status: number, extra: { error?: string; throttled?: boolean }) =>
      sendHtml(
        ctx,
        renderLogin({ action: '/account/login', csrfToken: csrf.token(ctx), username, ...extra }),
        status,
      );
    if (!csrf.verify(ctx, form.get('csrf')))
      return again(403, { error: 'Your form expired. Please try again.' });
    const checked = await checkPassword(username, form.get('password') ?? '', ctx.ip);
    const signIn = { event: 'sign_in', via: 'account', username };
    if (!checked.ok && checked.throttled) {
      log.warn({ ...signIn, outcome: 'throttled' }, 'sign-in throttled');
      ctx.set('Retry-After', String(checked.retryAfterSeconds));
      return again(429, { throttled: true });
    }
    if (!checked.ok) {
      log.info({ ...signIn, outcome: 'failure' }, 'sign-in failed');
      return again(401, { error: 'Wrong username or password.' });
    }
    log.info({ ...signIn, outcome: 'success', accountId: checked.account.id }, 'signed in');
    await session.signIn(ctx, checked.account.id);
    ctx.status = 303;
    ctx.redirect('/account');
  });

  router.get('/account', signedIn, async (ctx) => {
    const { account } = ctx.state;
    // After a Revoke (post/redirect/get): the notice names the app, only if it is this
    // person's grant and really revoked, so a link cannot make the page say otherwise.
    const revokedId = ctx.query.revoked;
    const revoked = typeof revokedId === 'string' ? await stores.grants.find(revokedId) : undefined;
    const notice =
      revoked && revoked.accountId === account.id && revoked.revokedAt !== null
        ? `${await createClientNames(provider)(revoked.clientId)} can no longer use your accounts.`
        : undefined;
    await showApps(ctx, account, notice);
  });

  /** The signed-in person's grant named in the path, or a 404 page (another person's grant too). */
  async function ownGrant(ctx: Context) {
    const grant = await stores.grants.find(ctx.params.grantId as string);
    if (grant && grant.accountId === ctx.state.account.id) return grant;
    sendHtml(
      ctx,
      renderMessage({ title: 'Not found', message: 'No such connected app.', status: 'error' }),
      404,
    );
    return undefined;
  }

  // Revoke's confirmation step: what it does, and the one button that does it.
  router.get('/account/grants/:grantId/revoke', signedIn, async (ctx) => {
    const { account } = ctx.state;
    const grant = await ownGrant(ctx);
    if (!grant) return;
    if (grant.revokedAt !== null || grant.expiresAt <= stores.clock()) {
      ctx.status = 303;
      return ctx.redirect(appPath(grant.id));
    }
    const name = await createClientNames(provider)(grant.clientId);
    sendHtml(
      ctx,
      renderConfirm({
        csrfToken: csrf.token(ctx),
        username: account.username,
        title: `Revoke access for ${name}?`,
        consequences: [
          `${name} can no longer use your AI accounts: every token it holds stops working at once.`,
          'Its usage and history stay on its page.',
          `To use your accounts again, ${name} has to ask you again, and you choose anew.`,
        ],
        action: `/account/grants/${encodeURIComponent(grant.id)}/revoke`,
        button: `Revoke access for ${name}`,
        cancelHref: appPath(grant.id),
      }),
    );
  });

  router.post('/account/grants/:grantId/revoke', signedIn, async (ctx) => {
    const { account } = ctx.state;
    const grant = await ownGrant(ctx);
    if (!grant) return;
    await stores.revocations.revokeGrant(grant.id, 'account_page');
    log.info(
      {
        event: 'grant.revoked',
        grantId: grant.id,
        clientId: grant.clientId,
        accountId: account.id,
        by: 'account_page',
      },
      'grant revoked',
    );
    // Post/redirect/get: a reload shows the list again instead of posting twice.
    ctx.status = 303;
    ctx.redirect(`/account?revoked=${encodeURIComponent(grant.id)}`);
  });

  addConnectedAppRoutes(router, { stores, csrf, signedIn, provider, grantUsage });
  addUsageApiRoutes(router, { provider, stores, session, grantUsage });
  addProviderKeyRoutes(router, { stores, csrf, signedIn, log, ...providerKeys });

  router.get('/account/password', signedIn, (ctx) => {
    sendHtml(
      ctx,
      renderChangePassword({
        csrfToken: csrf.token(ctx),
        username: ctx.state.account.username,
        ...(ctx.query.changed === '1' ? { notice: 'Your password was changed.' } : {}),
      }),
    );
  });

  router.post('/account/password', signedIn, async (ctx) => {
    const { account, form } = ctx.state as Required<AccountState>;
    const again = (
      status: number,
      view: { error: string; errorField?: 'current-password' | 'new-password' },
    ) =>
      sendHtml(
        ctx,
        renderChangePassword({ csrfToken: csrf.token(ctx), username: account.username, ...view }),
        status,
      );
    const next = form.get('new_password') ?? '';
    const checked = await checkPassword(account.username, form.get('current_password') ?? '', ctx.ip);
    if (!checked.ok && checked.throttled) {
      ctx.set('Retry-After', String(checked.retryAfterSeconds));
      return again(429, { error: 'Too many wrong passwords. Try again later.' });
    }
    if (!checked.ok) return again(400, { error: 'Your current password is not right.' });
    if (next.length < MIN_PASSWORD)
      return again(400, {
        error: `Choose a new password of at least ${MIN_PASSWORD} characters.`,
        errorField: 'new-password',
      });
    if (next !== form.get('confirm_password'))
      return again(400, { error: 'The two new passwords differ.', errorField: 'new-password' });
    await stores.accounts.setPasswordHash(account.id, await hashPassword(next));
    log.info({ event: 'password.changed', accountId: account.id }, 'password changed');
    ctx.status = 303;
    ctx.redirect('/account/password?changed=1');
  });

  router.post('/account/logout', signedIn, async (ctx) => {
    await session.signOut(ctx);
    log.info({ event: 'sign_out', accountId: ctx.state.account.id }, 'signed out');
    sendHtml(
      ctx,
      renderMessage({
        title: 'Signed out',
        message: 'You are signed out of Mandate. Apps you connected keep working until you revoke them.',
        status: 'info',
      }),
    );
  });

  return router;
}
