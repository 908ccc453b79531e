import type { Context } from 'koa';
import type { default as Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import {
  type AiAccessDetail,
  isOidcScope,
  parseScope,
  providerDisplayName,
  splitScopeParam,
} from '../../scopes/index.ts';
import { WHOLE } from '../../storage/grant-limits.ts';
import type { GrantRecord } from '../../storage/grant-store.ts';
import type { Stores } from '../../storage/index.ts';
import { formatCount, formatUsd, formatUtc } from '../../usage/format-usage.ts';
import { createGrantUsage, type ScopeFigures } from '../../usage/grant-usage.ts';
import { scopeViews } from '../account/app-views.ts';
import { usdField } from '../account/read-lower-limits.ts';
import type { Csrf } from '../http/csrf.ts';
import { sendHtml } from '../http/html-response.ts';
import type { ClientLabelView } from '../views/index.ts';
import { type RaiseFieldView, renderRaiseLimits } from '../views/raise-limits.ts';
import type { LimitMaximums } from './operator-maximums.ts';
import { type RaiseRow, raiseTerms, readRaise } from './raise-request.ts';

/** The interaction as the consent routes read it. */
export interface RaiseDetails {
  uid: string;
  prompt: { name: string; details: Record<string, unknown> };
  params: Record<string, unknown>;
  session?: { accountId?: string };
}

export interface RaiseDeps {
  provider: Provider;
  stores: Stores;
  csrf: Csrf;
  logger: Logger;
  maximumsOf(d: RaiseDetails): LimitMaximums;
  askedDetails(d: RaiseDetails): AiAccessDetail[];
  clientView(d: RaiseDetails): Promise<ClientLabelView>;
  finish(ctx: Context, result: Record<string, unknown>, mergeWithLastSubmission: boolean): Promise<void>;
}

const MEASURE = { max_requests: 'requests', max_tokens: 'tokens', max_spend_usd: 'spendMicroUsd' } as const;

const UNITS = {
  max_requests: ['request', 'requests'],
  max_tokens: ['token', 'tokens'],
  requests_per_minute: ['request per minute', 'requests per minute'],
} as const;
/** "1 request", "2 requests", "$5.00". */
const say = (row: RaiseRow, n: number) =>
  row.key === 'max_spend_usd' ? formatUsd(n) : `${formatCount(n)} ${UNITS[row.key][n === 1 ? 0 : 1]}`;
const field = (row: RaiseRow, n: number) => (row.key === 'max_spend_usd' ? usdField(n) : String(n));

/**
 * Raise requests: an authorization request with `grant_id` (and, per OAuth Grant
 * Management, `grant_management_action=update`) whose `authorization_details` ask for
 * more of a limit. It concerns one live grant of the signed-in person to this very app,
 * asks for no permission that grant lacks, and changes nothing but the limits the person
 * raises on its page (the same grant: what was used stays counted). The app gets a new
 * code for that same grant; its earlier tokens see the raised limits too.
 */
export function createRaiseInteraction(deps: RaiseDeps) {
  const { provider, stores, csrf } = deps;
  const log = deps.logger.child({ component: 'interaction' });
  const grantUsage = createGrantUsage(stores.db);

  const isRaise = (d: RaiseDetails): boolean => typeof d.params.grant_id === 'string';

  /** The grant the request names, or why the request cannot concern it. */
  async function target(
    d: RaiseDetails,
  ): Promise<{ ok: true; grant: GrantRecord } | { ok: false; reason: string }> {
    const accountId = d.session?.accountId;
    const grant = await stores.grants.find(String(d.params.grant_id));
    const live = grant && grant.revokedAt === null && grant.expiresAt > stores.clock();
    if (!grant || !live || grant.accountId !== accountId || grant.clientId !== String(d.params.client_id))
      return { ok: false, reason: 'grant_id names no live access the signed-in person gave this app' };
    const oidcGrant = await provider.Grant.find(grant.id);
    const asked = splitScopeParam(d.params.scope as string | undefined);
    const granted = new Set([
      ...grant.scopes,
      ...splitScopeParam(oidcGrant?.getOIDCScope?.() as string | undefined),
    ]);
    const extra = asked.filter((s) => !granted.has(s) && (isOidcScope(s) || parseScope(s).ok));
    if (extra.length > 0)
      return {
        ok: false,
        reason: `a raise asks only for what the access already allows; ask for ${extra.join(' ')} without grant_id`,
      };
    return { ok: true, grant };
  }

  async function refuse(ctx: Context, reason: string) {
    log.info({ event: 'limits_raise', outcome: 'refused', reason }, 'raise request refused');
    await deps.finish(ctx, { error: 'invalid_request', error_description: reason }, false);
  }

  function fieldsOf(
    rows: readonly RaiseRow[],
    caps: Awaited<ReturnType<typeof grantUsage.caps>>,
    form?: URLSearchParams,
  ) {
    return rows.map((row): RaiseFieldView => {
      const figures: ScopeFigures | undefined =
        row.scope === WHOLE ? caps : caps.providers.find((p) => p.scope === row.scope);
      const measure = row.key === 'requests_per_minute' ? undefined : MEASURE[row.key];
      const used = measure && figures ? figures[measure].used : undefined;
      const name = row.scope === WHOLE ? 'All providers together' : providerDisplayName(row.provider);
      const typed = form?.get(row.field);
      const notes = [
        row.cappedByServer && 'That is the most this server allows.',
        // Said only where it is news: the whole access's limit is not this very one.
        row.whole !== undefined &&
          row.whole !== row.current &&
          'The limit of the whole access rises by as much.',
      ].filter((n): n is string => typeof n === 'string');
      return {
        name: row.field,
        label: `${name}: ${row.label.charAt(0).toLowerCase()}${row.label.slice(1)}`,
        now: say(row, row.current),
        ...(used === undefined ? {} : { used: say(row, used) }),
        most: say(row, row.most),
        value: typed ?? field(row, row.most),
        min: field(row, row.current),
        max: field(row, row.most),
        step: row.key === 'max_spend_usd' ? 'any' : '1',
        ...(notes.length > 0 ? { note: notes.join(' ') } : {}),
      };
    });
  }

  async function show(
    ctx: Context,
    d: RaiseDetails,
    shown: { error?: { message: string; field?: string }; form?: URLSearchParams } = {},
    status = 200,
  ) {
    const found = await target(d);
    if (!found.ok) return refuse(ctx, found.reason);
    const terms = raiseTerms(found.grant, deps.askedDetails(d), deps.maximumsOf(d));
    if (!terms.ok) return refuse(ctx, terms.reason);
    const now = stores.clock();
    const caps = await grantUsage.caps(found.grant, now);
    const account = await stores.accounts.findById(found.grant.accountId);
    sendHtml(
      ctx,
      renderRaiseLimits({
        action: `/interaction/${d.uid}/consent`,
        csrfToken: csrf.token(ctx),
        client: await deps.clientView(d),
        account: account?.username ?? '',
        permissions: scopeViews(found.grant.scopes).map((s) => s.text),
        until: `Until ${formatUtc(found.grant.expiresAt)}`,
        period:
          caps.period.resetsAt === null
            ? 'over the whole time access lasts'
            : `per calendar month (this one resets ${formatUtc(caps.period.resetsAt)})`,
        fields: fieldsOf(terms.rows, caps, shown.form),
        ...(shown.error ? { error: shown.error } : {}),
      }),
      status,
    );
  }

  /** The raise page's form, after its CSRF check. */
  async function submit(ctx: Context, d: RaiseDetails, form: URLSearchParams) {
    const found = await target(d);
    if (!found.ok) return refuse(ctx, found.reason);
    const { grant } = found;
    const record = {
      event: 'limits_raise',
      clientId: grant.clientId,
      accountId: grant.accountId,
      grantId: grant.id,
    };
    if (form.get('decision') !== 'allow') {
      log.info({ ...record, outcome: 'denied' }, 'raise denied');
      return deps.finish(
        ctx,
        { error: 'access_denied', error_description: 'the person kept the limits' },
        false,
      );
    }
    const terms = raiseTerms(grant, deps.askedDetails(d), deps.maximumsOf(d));
    if (!terms.ok) return refuse(ctx, terms.reason);
    const read = readRaise(terms.rows, form, deps.maximumsOf(d));
    if (!read.ok) return show(ctx, d, { error: { message: read.error, field: read.field }, form }, 400);
    if (read.changes.length > 0) {
      const raised = await stores.grants.raiseLimits(grant.id, read.next, 'raise_request');
      if (!raised.ok)
        return show(
          ctx,
          d,
          { error: { message: `Not raised: ${raised.reason}.`, field: terms.rows[0]?.field ?? '' } },
          409,
        );
    }
    log.info(
      {
        ...record,
        outcome: 'raised',
        raised: read.changes.map((c) => ({
          scope: c.row.scope,
          limit: c.row.key,
          from: c.row.current,
          to: c.to,
        })),
      },
      'limits raised',
    );
    await deps.finish(ctx, { consent: { grantId: grant.id } }, true);
  }

  return { isRaise, show, submit };
}
