import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';
import type { Stores } from '../../storage/index.ts';
import { describeGrantEvent, GRANT_EVENT_TITLES } from '../../usage/describe-grant-event.ts';
import { formatPeriod } from '../../usage/format-usage.ts';
import { capLine, grantState, scopeName } from '../../usage/grant-lines.ts';
import { createGrantUsage } from '../../usage/grant-usage.ts';
import { peopleFigures } from '../../usage/people-figures.ts';
import type { BrowserSession } from '../http/browser-session.ts';
import type { Csrf } from '../http/csrf.ts';
import { sendHtml } from '../http/html-response.ts';
import { renderConfirm, renderMessage } from '../views/index.ts';
import { disablePath, renderOperatorApps } from '../views/operator/operator-apps.ts';
import { renderOperatorAudit } from '../views/operator/operator-audit.ts';
import { renderOperatorGrants } from '../views/operator/operator-grants.ts';
import { renderOperatorPeople } from '../views/operator/operator-people.ts';
import { KIND_TEXT, listOperatorApps, liveGrantsByClient } from './app-list.ts';
import { type OperatorState, operatorOnly } from './operator-only.ts';

export interface OperatorDeps {
  stores: Stores;
  csrf: Csrf;
  session: BrowserSession;
  logger: Logger;
}

/** Events per page of the operator's audit trail. */
export const AUDIT_PAGE = 50;

/**
 * /operator: the install seen by the people who run it (accounts with the operator role,
 * set only from the CLI): apps with Disable and Enable, people, grants with their usage,
 * and the audit trail. Everyone else gets what any unknown URL gets (operator-only.ts).
 */
export function createOperatorPages({ stores, csrf, session, logger }: OperatorDeps) {
  const router = new Router<OperatorState>();
  const log = logger.child({ component: 'operator' });
  const grantUsage = createGrantUsage(stores.db);
  const frame = (ctx: Context) => ({ csrfToken: csrf.token(ctx), username: ctx.state.account.username });

  async function appNames(): Promise<(clientId: string) => string> {
    const names = new Map((await listOperatorApps(stores)).map((a) => [a.clientId, a.name]));
    return (clientId) => names.get(clientId) ?? clientId;
  }
  async function usernames(): Promise<(accountId: string) => string> {
    const names = new Map((await stores.accounts.list()).map((a) => [a.id, a.username]));
    return (accountId) => names.get(accountId) ?? accountId;
  }

  router.get('/operator', (ctx) => {
    ctx.status = 303;
    ctx.redirect('/operator/apps');
  });

  router.get('/operator/apps', async (ctx) => {
    const apps = await listOperatorApps(stores);
    const live = await liveGrantsByClient(stores);
    // After Disable or Enable (post/redirect/get): the notice says what is true now.
    const named = (q: unknown) => (typeof q === 'string' ? apps.find((a) => a.clientId === q) : undefined);
    const disabled = named(ctx.query.disabled);
    const enabled = named(ctx.query.enabled);
    const notice =
      disabled?.disabledAt !== undefined
        ? `${disabled.name} is disabled: it cannot sign anyone in or get tokens, and its grants are revoked.`
        : enabled && enabled.disabledAt === undefined
          ? `${enabled.name} is enabled again. The people it had grants from must allow it again.`
          : undefined;
    sendHtml(
      ctx,
      renderOperatorApps({
        ...frame(ctx),
        apps: apps.map((a) => ({
          clientId: a.clientId,
          name: a.name,
          kind: KIND_TEXT[a.kind],
          createdAt: a.createdAt === undefined ? undefined : new Date(a.createdAt),
          liveGrants: live.get(a.clientId) ?? 0,
          disabledAt: a.disabledAt === undefined ? undefined : new Date(a.disabledAt),
        })),
        ...(notice ? { notice } : {}),
      }),
    );
  });

  /** The app named in the path, or a 404 page. */
  async function namedApp(ctx: Context) {
    const clientId = ctx.params.clientId as string;
    const app = (await listOperatorApps(stores)).find((a) => a.clientId === clientId);
    if (app) return app;
    sendHtml(
      ctx,
      renderMessage({ title: 'Not found', message: 'No such app.', status: 'error', ...frameOf(ctx) }),
      404,
    );
    return undefined;
  }
  const frameOf = (ctx: Context) => ({ signedInAs: ctx.state.account.username, csrfToken: csrf.token(ctx) });

  // Disable's confirmation step: what it does, and the one button that does it.
  router.get('/operator/apps/:clientId/disable', async (ctx) => {
    const app = await namedApp(ctx);
    if (!app) return;
    if (app.disabledAt !== undefined) {
      ctx.status = 303;
      return ctx.redirect('/operator/apps');
    }
    const live = (await liveGrantsByClient(stores)).get(app.clientId) ?? 0;
    sendHtml(
      ctx,
      renderConfirm({
        ...frame(ctx),
        title: `Disable ${app.name}?`,
        consequences: [
          `${app.name} can no longer sign anyone in or get tokens: Mandate treats it as an unknown app.`,
          `Its ${live === 1 ? 'live grant is' : `${live} live grants are`} revoked at once: every token it holds stops working at the proxy.`,
          'Enabling it later does not bring those grants back: people have to allow it again.',
        ],
        action: disablePath(app.clientId),
        button: `Disable ${app.name}`,
        cancelHref: '/operator/apps',
        operator: true,
      }),
    );
  });

  router.post('/operator/apps/:clientId/disable', async (ctx) => {
    const app = await namedApp(ctx);
    if (!app) return;
    const revoked = await stores.disabledClients.disable(app.clientId, ctx.state.account.id);
    log.info(
      {
        event: 'client.disabled',
        clientId: app.clientId,
        accountId: ctx.state.account.id,
        grantsRevoked: revoked,
      },
      'app disabled',
    );
    // Post/redirect/get: a reload shows the list instead of posting again.
    ctx.status = 303;
    ctx.redirect(`/operator/apps?disabled=${encodeURIComponent(app.clientId)}`);
  });

  router.post('/operator/apps/:clientId/enable', async (ctx) => {
    const app = await namedApp(ctx);
    if (!app) return;
    if (await stores.disabledClients.enable(app.clientId))
      log.info(
        { event: 'client.enabled', clientId: app.clientId, accountId: ctx.state.account.id },
        'app enabled',
      );
    ctx.status = 303;
    ctx.redirect(`/operator/apps?enabled=${encodeURIComponent(app.clientId)}`);
  });

  router.get('/operator/people', async (ctx) => {
    const figures = await peopleFigures(stores.db, stores.clock());
    const people = (await stores.accounts.list()).map((a) => {
      const f = figures.get(a.id);
      return {
        username: a.username,
        operator: a.operator,
        createdAt: new Date(a.createdAt),
        liveGrants: f?.liveGrants ?? 0,
        allGrants: f?.allGrants ?? 0,
        requests: f?.requests ?? 0,
        tokens: f?.tokens ?? 0,
        spendMicroUsd: f?.spendMicroUsd ?? 0,
      };
    });
    sendHtml(ctx, renderOperatorPeople({ ...frame(ctx), people }));
  });

  router.get('/operator/grants', async (ctx) => {
    const all = ctx.query.all === '1';
    const grants = await stores.grants.list({ includeEnded: all });
    const app = await appNames();
    const user = await usernames();
    const now = stores.clock();
    const views = [];
    for (const g of grants) {
      const usage = await grantUsage.caps(g, now);
      views.push({
        grantId: g.id,
        username: user(g.accountId),
        appName: app(g.clientId),
        state: grantState(g, now),
        createdAt: new Date(g.createdAt),
        expiresAt: new Date(g.expiresAt),
        period: formatPeriod(usage.period),
        scopes: [usage, ...usage.providers].map((s) => ({
          scope: scopeName(s.scope),
          requests: capLine('requests', s.requests),
          tokens: capLine('tokens', s.tokens),
          spend: capLine('spend', s.spendMicroUsd),
        })),
      });
    }
    sendHtml(ctx, renderOperatorGrants({ ...frame(ctx), grants: views, all }));
  });

  router.get('/operator/audit', async (ctx) => {
    const before = typeof ctx.query.before === 'string' ? ctx.query.before : '';
    const beforeSeq = /^[1-9][0-9]{0,15}$/.test(before) ? Number(before) : undefined;
    // One more than a page: whether there is an older page.
    const events = await stores.grantEvents.latest({
      ...(beforeSeq !== undefined ? { beforeSeq } : {}),
      limit: AUDIT_PAGE + 1,
    });
    const page = events.slice(0, AUDIT_PAGE);
    const last = page.at(-1);
    const app = await appNames();
    const user = await usernames();
    sendHtml(
      ctx,
      renderOperatorAudit({
        ...frame(ctx),
        events: page.map((e) => ({
          at: new Date(e.createdAt),
          title: GRANT_EVENT_TITLES[e.kind] ?? e.kind,
          text: describeGrantEvent(e),
          username: user(e.accountId),
          appName: app(e.clientId),
          grantId: e.grantId,
        })),
        ...(events.length > AUDIT_PAGE && last ? { olderHref: `/operator/audit?before=${last.seq}` } : {}),
        ...(beforeSeq !== undefined ? { newestHref: '/operator/audit' } : {}),
      }),
    );
  });

  return operatorOnly({ session, csrf }, router.routes() as unknown as Middleware);
}
