import type Router from '@koa/router';
import type { Context } from 'koa';
import type { default as Provider } from 'oidc-provider';
import { type Provider as AiProvider, providerDisplayName } from '../../scopes/index.ts';
import type { Account } from '../../storage/account-store.ts';
import { type Caps, capsOf, WHOLE } from '../../storage/grant-limits.ts';
import type { GrantRecord } from '../../storage/grant-store.ts';
import type { Stores } from '../../storage/index.ts';
import { describeActor } from '../../usage/describe-actor.ts';
import { describeGrantEvent, GRANT_EVENT_TITLES } from '../../usage/describe-grant-event.ts';
import { describeLimits, formatCount, formatUsd } from '../../usage/format-usage.ts';
import { grantProviders } from '../../usage/grant-providers.ts';
import type { GrantUsageOf } from '../../usage/grant-usage.ts';
import type { Csrf } from '../http/csrf.ts';
import { sendHtml } from '../http/html-response.ts';
import { LIMIT_LABELS } from '../interactions/granted-limits.ts';
import { type LowerLimitsView, renderConnectedApp, renderMessage } from '../views/index.ts';
import { createClientNames, scopeViews } from './app-views.ts';
import { LOWER_LIMIT_FIELDS, lowerLimitField, readLowerLimits, usdField } from './read-lower-limits.ts';
import type { AccountState, createSignedIn } from './signed-in.ts';

interface Deps {
  stores: Stores;
  csrf: Csrf;
  signedIn: ReturnType<typeof createSignedIn>;
  provider: Provider;
  grantUsage: GrantUsageOf;
}

type Shown = {
  notice?: string;
  error?: { message: string; field?: string };
  /** What the person typed, shown again with an error. */
  submitted?: URLSearchParams;
};

const ENDED = "This app's access has ended: its limits can no longer change.";

const HINTS = {
  max_requests: 'Requests in each period, counted from the first.',
  max_tokens: 'Every billed token: input (cached and cache writes too) and output (reasoning too).',
  max_spend_usd: "What the requests cost by Mandate's price table.",
  requests_per_minute: 'Over any 60 seconds.',
} as const;

function limitFieldsView(caps: Caps, provider: AiProvider | undefined, shown: Shown) {
  return LOWER_LIMIT_FIELDS.map(([key, column]) => {
    const name = lowerLimitField(provider, key);
    const current = caps[column];
    const currentText = current === null ? '' : key === 'max_spend_usd' ? usdField(current) : String(current);
    const value = shown.submitted?.get(name) ?? currentText;
    const hint =
      current === null
        ? `No limit now: leave empty for none, or set one. ${HINTS[key]}`
        : `Now ${key === 'max_spend_usd' ? formatUsd(current) : formatCount(current)}: you can lower it. ${HINTS[key]}`;
    return {
      name,
      label: LIMIT_LABELS[key],
      value,
      ...(current === null ? {} : { max: currentText }),
      step: key === 'max_spend_usd' ? 'any' : '1',
      hint,
    };
  });
}

function lowerLimitsView(grant: GrantRecord, shown: Shown): LowerLimitsView {
  return {
    action: `/account/apps/${encodeURIComponent(grant.id)}/limits`,
    fields: limitFieldsView(grant.limits, undefined, shown),
    providers: grantProviders(grant).map((p) => ({
      provider: providerDisplayName(p),
      fields: limitFieldsView(capsOf(grant.limits, p), p, shown),
    })),
    period: grant.limits.limitPeriod,
    ...(shown.error ? { error: shown.error } : {}),
  };
}

/**
 * /account/apps/<grantId>: one connected app of the signed-in person (another person's
 * grant is a 404, as is an unknown one) with its figures and history, and the form
 * that lowers its limits.
 */
export function addConnectedAppRoutes(
  router: Router<AccountState>,
  { stores, csrf, signedIn, provider, grantUsage }: Deps,
) {
  async function ownGrant(ctx: Context, account: Account): Promise<GrantRecord | undefined> {
    const grant = await stores.grants.find(ctx.params.grantId as string);
    if (grant && grant.accountId === account.id) return grant;
    sendHtml(
      ctx,
      renderMessage({
        title: 'Not found',
        message: 'No such connected app.',
        status: 'error',
        signedInAs: account.username,
        csrfToken: csrf.token(ctx),
      }),
      404,
    );
    return undefined;
  }

  /** Every grant carved from this one by token exchange, and theirs, nearest first. */
  async function descendants(grant: GrantRecord): Promise<GrantRecord[]> {
    const out: GrantRecord[] = [];
    for (let level = [grant]; level.length > 0 && out.length < 500; ) {
      const next = (await Promise.all(level.map((g) => stores.grants.children(g.id)))).flat();
      out.push(...next);
      level = next;
    }
    return out;
  }

  async function show(ctx: Context, account: Account, grant: GrantRecord, shown: Shown = {}, status = 200) {
    const now = stores.clock();
    const live = grant.revokedAt === null && grant.expiresAt > now;
    const children = await Promise.all(
      (await descendants(grant)).map(async (child) => {
        const childLive = child.revokedAt === null && child.expiresAt > now;
        return {
          grantId: child.id,
          actor: describeActor(child.act),
          scopes: child.scopes,
          state: childLive
            ? { live: true as const, expiresAt: new Date(child.expiresAt) }
            : {
                live: false as const,
                endedAt: new Date(child.revokedAt ?? child.expiresAt),
                why: child.revokedAt === null || child.revokedReason === 'expired' ? 'expired' : 'revoked',
              },
          usage: await grantUsage.caps(child, now),
        };
      }),
    );
    const events = (await stores.grantEvents.forGrant(grant.id)).reverse();
    sendHtml(
      ctx,
      renderConnectedApp({
        csrfToken: csrf.token(ctx),
        username: account.username,
        grantId: grant.id,
        clientName: await createClientNames(provider)(grant.clientId),
        scopes: scopeViews(grant.scopes),
        grantedAt: new Date(grant.createdAt),
        expiresAt: new Date(grant.expiresAt),
        state: live
          ? { live: true }
          : {
              live: false,
              endedAt: new Date(grant.revokedAt ?? grant.expiresAt),
              why: grant.revokedAt === null || grant.revokedReason === 'expired' ? 'expired' : 'revoked',
            },
        limitsText: describeLimits(grant.limits),
        usage: await grantUsage(grant, now),
        events: events.map((e) => ({
          at: new Date(e.createdAt),
          title: GRANT_EVENT_TITLES[e.kind] ?? e.kind,
          text: describeGrantEvent(e),
        })),
        subAgents: children,
        ...(grant.act ? { actor: describeActor(grant.act) } : {}),
        ...(live ? { lowerLimits: lowerLimitsView(grant, shown) } : {}),
        ...(!live && shown.error ? { error: shown.error.message } : {}),
        ...(shown.notice ? { notice: shown.notice } : {}),
      }),
      status,
    );
  }

  router.get('/account/apps/:grantId', signedIn, async (ctx) => {
    const { account } = ctx.state;
    const grant = await ownGrant(ctx, account);
    if (!grant) return;
    // After a successful "Lower limits" (post/redirect/get): the notice says the limits as they are now.
    const done = ctx.query.saved;
    const notice =
      done === 'changed'
        ? `New limits saved: ${describeLimits(grant.limits)}. They apply from the app's next request.`
        : done === 'unchanged'
          ? 'Nothing changed: the limits are as they were.'
          : undefined;
    await show(ctx, account, grant, notice ? { notice } : {});
  });

  router.post('/account/apps/:grantId/limits', signedIn, async (ctx) => {
    const { account, form } = ctx.state as Required<AccountState>;
    const grant = await ownGrant(ctx, account);
    if (!grant) return;
    if (grant.revokedAt !== null || grant.expiresAt <= stores.clock())
      return show(ctx, account, grant, { error: { message: ENDED } }, 409);
    const read = readLowerLimits(form, grant.limits, grantProviders(grant));
    if (!read.ok) {
      return show(
        ctx,
        account,
        grant,
        { error: { message: read.message, field: read.field }, submitted: form },
        400,
      );
    }
    const lowered = await stores.grants.lowerLimits(grant.id, read.next, 'account_page');
    if (!lowered.ok) {
      const now = await stores.grants.find(grant.id);
      const message =
        now && (now.revokedAt !== null || now.expiresAt <= stores.clock())
          ? ENDED
          : 'The limits changed meanwhile. Look at them again and retry.';
      return show(ctx, account, now ?? grant, { error: { message } }, 409);
    }
    const changed = [undefined, ...grantProviders(grant)].some((p) =>
      LOWER_LIMIT_FIELDS.some(
        ([, c]) => capsOf(lowered.grant.limits, p ?? WHOLE)[c] !== capsOf(grant.limits, p ?? WHOLE)[c],
      ),
    );
    // Post/redirect/get: a reload shows the page again instead of posting twice.
    ctx.status = 303;
    ctx.redirect(`/account/apps/${encodeURIComponent(grant.id)}?saved=${changed ? 'changed' : 'unchanged'}`);
  });
}
