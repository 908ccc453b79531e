import Router from '@koa/router';
import type { Context } from 'koa';
import type { default as Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import {
  type AiAccessDetail,
  type Provider as AiProvider,
  isOidcScope,
  LIMIT_KEYS,
  parseAiAccessDetails,
  parseScope,
  providerDisplayName,
  scopeCovers,
  splitScopeParam,
} from '../../scopes/index.ts';
import type { Stores } from '../../storage/index.ts';
import { describeLimits } from '../../usage/format-usage.ts';
import type { CheckPassword } from '../http/check-password.ts';
import type { Csrf } from '../http/csrf.ts';
import { durationChoices } from '../http/durations.ts';
import { sendHtml } from '../http/html-response.ts';
import { readForm } from '../http/read-form.ts';
import { formActionSource } from '../http/security-headers.ts';
import { clientDomain, clientKind } from '../open-door/client-kind.ts';
import { allowedScopesFor } from '../provider/resource-server.ts';
import { renderConsent, renderLogin, renderMessage } from '../views/index.ts';
import { currentAccessView, sameGrants } from './current-access.ts';
import { LIMIT_LABELS, limitField, periodChoice, readGrantedLimits } from './granted-limits.ts';
import { describeMaximums, type LimitMaximums, limitBound, tighterMaximums } from './operator-maximums.ts';
import { providersWithoutKey } from './providers-without-key.ts';
import { createRaiseInteraction, type RaiseDetails } from './raise-routes.ts';
import { replaceGrants } from './replace-grants.ts';
import { groupScopesForConsent } from './requested-scopes.ts';

export interface InteractionDeps {
  provider: Provider;
  stores: Stores;
  csrf: Csrf;
  checkPassword: CheckPassword;
  proxyUrl: string;
  grantTtl: { default: number; max: number };
  /** Providers with an operator-configured key (names only): they need no key of the person's. */
  operatorKeyProviders: readonly AiProvider[];
  /** The operator's maximum for each limit (`as.limitMaximums`): no grant allows more. */
  limitMaximums: LimitMaximums;
  /** The most an app the operator did not register may ask for (`as.openDoor.scopes`). */
  openDoorScopes: readonly string[];
  /** Such an app's maximums on top of `limitMaximums` (`as.openDoor.limitMaximums`). */
  openDoorLimitMaximums: LimitMaximums;
  logger: Logger;
}

type Details = RaiseDetails;

function noKeyMessage(names: string[]): string {
  if (names.length === 1) {
    const [name] = names;
    return `You have no ${name} key stored, so you cannot allow ${name} access yet. Add your key on your Provider keys page and reload this page, or untick the ${name} permissions.`;
  }
  return `You have no keys stored for ${names.join(' and ')}, so you cannot allow access to them yet. Add your keys on your Provider keys page and reload this page, or untick their permissions.`;
}

/** Sign-in and consent pages at /interaction/:uid, server-rendered and CSRF-protected. */
export function createInteractionRoutes({
  provider,
  stores,
  csrf,
  checkPassword,
  proxyUrl,
  grantTtl,
  operatorKeyProviders,
  limitMaximums,
  openDoorScopes,
  openDoorLimitMaximums,
  logger,
}: InteractionDeps) {
  const unreviewedMaximums = tighterMaximums(limitMaximums, openDoorLimitMaximums);
  /** The maximums of this interaction's app: tighter for one the operator did not register. */
  const maximumsOf = (d: Details): LimitMaximums =>
    clientKind(String(d.params.client_id)) === 'operator' ? limitMaximums : unreviewedMaximums;
  const router = new Router();
  // Errors (an expired interaction, a bad form) are answered by http/error-handler.ts.
  const log = logger.child({ component: 'interaction' });

  /** The interaction in flight; its pages may post forms that end at the app's redirect URI. */
  async function details(ctx: Context): Promise<Details> {
    const d = (await provider.interactionDetails(ctx.req, ctx.res)) as unknown as Details;
    const source =
      typeof d.params.redirect_uri === 'string' ? formActionSource(d.params.redirect_uri) : undefined;
    if (source) ctx.state.formActions = [source];
    return d;
  }

  /** Who asks, and where this very request sends the person back to. */
  async function clientView(d: Details) {
    const clientId = String(d.params.client_id);
    const client = await provider.Client.find(clientId);
    const redirect = typeof d.params.redirect_uri === 'string' ? URL.parse(d.params.redirect_uri) : null;
    const kind = clientKind(clientId);
    const domain = clientDomain(clientId);
    return {
      name: (client?.clientName as string | undefined) ?? domain ?? clientId,
      redirectHost: redirect ? redirect.host || redirect.protocol : '',
      ...(kind === 'operator'
        ? {}
        : {
            unreviewed: {
              via: kind === 'registered' ? ('registration' as const) : ('metadata_document' as const),
              domain,
            },
          }),
    };
  }

  /**
   * The code and its tokens carry the scopes the authorization request named that the
   * grant holds; on step-up the request named only the new ones. So the interaction's
   * request is set to ask for exactly what the person allowed (its OIDC scopes kept).
   */
  async function askForWhatWasAllowed(uid: string, chosen: readonly string[]) {
    const interaction = await provider.Interaction.find(uid);
    if (!interaction) return;
    const params = interaction.params as { scope?: string };
    const oidc = splitScopeParam(params.scope).filter(isOidcScope);
    params.scope = [...oidc, ...chosen].join(' ');
    await interaction.save(Math.max(1, (interaction.exp ?? 0) - Math.floor(Date.now() / 1000)));
  }

  async function finish(ctx: Context, result: Record<string, unknown>, mergeWithLastSubmission: boolean) {
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission });
    ctx.status = 303;
    ctx.redirect(returnTo);
  }

  function requestedAiScopes(d: Details): string[] {
    const missing = d.prompt.details.missingResourceScopes as Record<string, string[]> | undefined;
    return missing?.[proxyUrl] ?? [];
  }

  /**
   * Step-up: what the page offers is what the app asks now plus what the person already
   * allowed it (`kept`, still within what the client may ask), every one ticked. The new
   * grant holds exactly what stays ticked, so asking for one more model never loses the
   * earlier ones, and the person may still untick anything.
   */
  async function offeredScopes(d: Details, current: readonly { scopes: string[] }[]) {
    const asked = requestedAiScopes(d);
    const client = await provider.Client.find(String(d.params.client_id));
    const allowed = client ? allowedScopesFor(client as never, openDoorScopes) : [];
    const kept = [...new Set(current.flatMap((g) => g.scopes))].filter(
      (s) => !asked.includes(s) && allowed.some((pattern) => scopeCovers(pattern, s)),
    );
    return { asked, kept, all: [...asked, ...kept] };
  }

  /** The `ai_access` details the app asked for (already checked at the authorization endpoint). */
  function askedDetails(d: Details): AiAccessDetail[] {
    const raw = d.params.authorization_details;
    if (typeof raw !== 'string') return [];
    const parsed = parseAiAccessDetails(JSON.parse(raw));
    return parsed.ok ? parsed.details : [];
  }

  /** The consent page's limit inputs; `form` refills what the person typed after an error. */
  function limitsView(d: Details, form?: URLSearchParams) {
    const asked = askedDetails(d);
    if (asked.length === 0) return undefined;
    const maximumsHere = maximumsOf(d);
    const { initial, monthAllowed } = periodChoice(asked, maximumsHere);
    const period = form?.get('period');
    return {
      groups: asked.map((detail) => ({
        provider: providerDisplayName(detail.provider),
        limits: LIMIT_KEYS.map((key) => {
          const asks = detail.limits?.[key];
          const most = maximumsHere[key];
          // Prefilled with the most the person may allow: what the app asked, within the
          // operator's maximum, or that maximum where the app asked for none.
          const bound = limitBound(asks, most);
          const name = limitField(detail.provider, key);
          const typed = form?.get(name);
          return {
            name,
            label: LIMIT_LABELS[key],
            step: key === 'max_spend_usd' ? '0.01' : '1',
            ...(asks !== undefined ? { asked: asks } : {}),
            ...(most !== undefined ? { most } : {}),
            ...(typed != null ? { value: typed } : bound !== undefined ? { value: String(bound) } : {}),
          };
        }),
      })),
      period: period === 'month' && monthAllowed ? ('month' as const) : initial,
      monthAllowed,
    };
  }

  async function showLogin(
    ctx: Context,
    d: Details,
    extra: { error?: string; username?: string; throttled?: boolean } = {},
    status = 200,
  ) {
    const client = await clientView(d);
    sendHtml(
      ctx,
      renderLogin({
        action: `/interaction/${d.uid}/login`,
        csrfToken: csrf.token(ctx),
        clientName: client.name,
        ...extra,
      }),
      status,
    );
  }

  /** Providers among `scopes` with neither a key of this person's nor an operator key. */
  async function withoutKey(accountId: string | undefined, scopes: readonly string[]) {
    const stored = accountId ? await stores.providerKeys.providersFor(accountId) : [];
    return providersWithoutKey(scopes, stored, operatorKeyProviders);
  }

  /** Providers of the given scopes. */
  function providersOf(scopes: readonly string[]): AiProvider[] {
    return [
      ...new Set(
        scopes.flatMap((s) => {
          const parsed = parseScope(s);
          return parsed.ok ? [parsed.scope.provider] : [];
        }),
      ),
    ];
  }

  /** The person's live grants to the app of this interaction: allowing replaces them. */
  async function currentGrants(d: Details) {
    const accountId = d.session?.accountId;
    if (!accountId) return [];
    return stores.grants.list({ accountId, clientId: String(d.params.client_id), rootsOnly: true });
  }

  async function showConsent(
    ctx: Context,
    d: Details,
    error?: string,
    status = 200,
    form?: URLSearchParams,
    errorIsMissingKeys = false,
    errorField?: string,
  ) {
    const limits = limitsView(d, form);
    const account = d.session?.accountId ? await stores.accounts.findById(d.session.accountId) : undefined;
    const current = await currentGrants(d);
    const offered = await offeredScopes(d, current);
    const requested = offered.all;
    const missing = await withoutKey(account?.id, requested);
    const maximums = describeMaximums(maximumsOf(d));
    // Without details the operator's maximums still bound the grant: the page says so.
    const plain =
      !limits && maximums !== undefined
        ? readGrantedLimits([], new URLSearchParams(), providersOf(requested), maximumsOf(d))
        : undefined;
    sendHtml(
      ctx,
      renderConsent({
        action: `/interaction/${d.uid}/consent`,
        csrfToken: csrf.token(ctx),
        client: await clientView(d),
        account: account?.username ?? '',
        groups: groupScopesForConsent(requested, offered.kept),
        durations: durationChoices(grantTtl.max, grantTtl.default).map(([seconds, label]) => ({
          seconds,
          label,
          selected: seconds === grantTtl.default,
        })),
        ...(missing.length > 0 ? { missingKeys: missing.map(providerDisplayName) } : {}),
        ...(limits ? { limits } : {}),
        ...(maximums !== undefined ? { maximums } : {}),
        ...(plain?.ok ? { grantLimits: describeLimits(plain.row) } : {}),
        ...(current.length > 0
          ? {
              currentAccess: currentAccessView(current, {
                scopes: offered.asked,
                details: askedDetails(d),
                maximums,
              }),
            }
          : {}),
        ...(error ? { error, errorIsMissingKeys, ...(errorField ? { errorField } : {}) } : {}),
      }),
      status,
    );
  }

  const raise = createRaiseInteraction({
    provider,
    stores,
    csrf,
    logger,
    maximumsOf,
    askedDetails,
    clientView,
    finish,
  });

  router.get('/interaction/:uid', async (ctx) => {
    const d = await details(ctx);
    if (d.prompt.name === 'login') return showLogin(ctx, d);
    if (d.prompt.name === 'consent') return raise.isRaise(d) ? raise.show(ctx, d) : showConsent(ctx, d);
    sendHtml(
      ctx,
      renderMessage({ title: 'Unexpected step', message: 'Start again from the app.', status: 'error' }),
      400,
    );
  });

  router.post('/interaction/:uid/login', async (ctx) => {
    const d = await details(ctx);
    const form = await readForm(ctx);
    if (!csrf.verify(ctx, form.get('csrf')))
      return showLogin(ctx, d, { error: 'Your form expired. Please try again.' }, 403);
    if (d.prompt.name !== 'login') return raise.isRaise(d) ? raise.show(ctx, d) : showConsent(ctx, d);
    const username = (form.get('username') ?? '').trim();
    const password = form.get('password') ?? '';
    const checked = await checkPassword(username, password, ctx.ip);
    const signIn = { event: 'sign_in', via: 'interaction', clientId: String(d.params.client_id), username };
    if (!checked.ok && checked.throttled) {
      log.warn({ ...signIn, outcome: 'throttled' }, 'sign-in throttled');
      ctx.set('Retry-After', String(checked.retryAfterSeconds));
      return showLogin(ctx, d, { username, throttled: true }, 429);
    }
    if (!checked.ok) {
      log.info({ ...signIn, outcome: 'failure' }, 'sign-in failed');
      return showLogin(ctx, d, { username, error: 'Wrong username or password.' }, 401);
    }
    log.info({ ...signIn, outcome: 'success', accountId: checked.account.id }, 'signed in');
    await finish(ctx, { login: { accountId: checked.account.id } }, false);
  });

  router.post('/interaction/:uid/consent', async (ctx) => {
    const d = await details(ctx);
    const form = await readForm(ctx);
    if (d.prompt.name !== 'consent') return showLogin(ctx, d);
    if (raise.isRaise(d)) {
      if (!csrf.verify(ctx, form.get('csrf')))
        return raise.show(
          ctx,
          d,
          { error: { message: 'Your form expired. Please try again.', field: '' } },
          403,
        );
      return raise.submit(ctx, d, form);
    }
    if (!csrf.verify(ctx, form.get('csrf')))
      return showConsent(ctx, d, 'Your form expired. Please try again.', 403);

    if (form.get('decision') !== 'allow') {
      log.info(
        {
          event: 'consent',
          outcome: 'denied',
          clientId: String(d.params.client_id),
          accountId: d.session?.accountId,
        },
        'consent denied',
      );
      return finish(ctx, { error: 'access_denied', error_description: 'the person denied access' }, false);
    }

    const requested = (await offeredScopes(d, await currentGrants(d))).all;
    const chosen = requested.filter((s) => form.getAll('scope').includes(s));
    if (chosen.length === 0)
      return showConsent(ctx, d, 'Choose at least one permission, or Deny.', 400, undefined, false, 'scope');
    const duration = Number(form.get('duration'));
    if (!durationChoices(grantTtl.max, grantTtl.default).some(([s]) => s === duration)) {
      return showConsent(ctx, d, 'Choose how long access lasts.', 400, undefined, false, 'duration');
    }

    const accountId = d.session?.accountId as string;
    // No grant for a provider no key can serve: every request the app made would fail.
    const unserved = (await withoutKey(accountId, chosen)).map(providerDisplayName);
    if (unserved.length > 0) return showConsent(ctx, d, noKeyMessage(unserved), 400, undefined, true);

    // Limits may only narrow what the app asked, within the operator's maximums; anything
    // else is refused, with no grant.
    const limits = readGrantedLimits(askedDetails(d), form, providersOf(chosen), maximumsOf(d));
    if (!limits.ok) return showConsent(ctx, d, limits.error, 400, form, false, limits.field);

    // Allowing replaces exactly the grants the page showed: if the app's access changed
    // since (another tab, another device), the person sees the new state first.
    const replaced = await currentGrants(d);
    if (!sameGrants(form.getAll('replaces'), replaced)) {
      const client = await clientView(d);
      return showConsent(
        ctx,
        d,
        `What ${client.name} can use changed while this page was open (it was allowed or revoked elsewhere). Check this page again, then choose.`,
        409,
        form,
      );
    }

    const clientId = String(d.params.client_id);
    const grant = new provider.Grant({ accountId, clientId });
    for (const detail of limits.details) grant.addRar({ ...detail });
    grant.addResourceScope(proxyUrl, chosen.join(' '));
    const unticked = requested.filter((s) => !chosen.includes(s));
    if (unticked.length > 0) grant.rejectResourceScope(proxyUrl, unticked.join(' '));
    const oidcScope = (d.prompt.details.missingOIDCScope as string[] | undefined) ?? [];
    if (oidcScope.length > 0) grant.addOIDCScope(oidcScope.join(' '));
    const expiresAt = Date.now() + duration * 1000;
    // The grant's expiry is the person's choice, set before its first save so every
    // token lifetime derived from it (and the stored row's TTL) follows.
    grant.exp = Math.floor(expiresAt / 1000);
    const grantId = await grant.save();
    await askForWhatWasAllowed(d.uid, chosen);
    await stores.grants.record({
      id: grantId,
      accountId,
      clientId,
      scopes: chosen,
      expiresAt: grant.exp * 1000,
      limits: limits.row,
    });
    await stores.grantEvents.append({
      grantId,
      accountId,
      clientId,
      kind: 'approved',
      detail: { scopes: chosen, limits: limits.row, expiresAt: grant.exp * 1000 },
    });
    await replaceGrants(stores, replaced, {
      grantId,
      accountId,
      clientId,
      scopes: chosen,
      limits: limits.row,
      expiresAt: grant.exp * 1000,
    });
    log.info(
      {
        event: 'consent',
        outcome: 'granted',
        clientId,
        accountId,
        grantId,
        scopes: chosen,
        expiresAt: new Date(grant.exp * 1000).toISOString(),
        replaced: replaced.map((g) => g.id),
      },
      'consent granted',
    );
    await finish(ctx, { consent: { grantId } }, true);
  });

  return router;
}
