import {
  type AiAccessDetail,
  checkLimitValue,
  LIMIT_KEYS,
  type LimitKey,
  type Provider,
  providerDisplayName,
  usdToMicro,
} from '../../scopes/index.ts';
import { CAP_OF_LIMIT, type Caps, capsOf, WHOLE } from '../../storage/grant-limits.ts';
import type { GrantRecord, LowerLimits } from '../../storage/grant-store.ts';
import { grantProviders } from '../../usage/grant-providers.ts';
import { LIMIT_LABELS, limitField } from './granted-limits.ts';
import type { LimitMaximums } from './operator-maximums.ts';

/** A limit in the grant's own units (micro-USD for spending) from its `authorization_details` value. */
const toRow = (key: LimitKey, value: number) => (key === 'max_spend_usd' ? usdToMicro(value) : value);

/**
 * One limit an app asks to raise, as the raise page shows it: the cap it raises (the
 * provider's own, or the whole grant's when the provider has none), its value now, the
 * most the person may allow (what the app asked, within the operator's maximum), and
 * whether the whole grant's cap rises with it (by the same amount).
 */
export interface RaiseRow {
  provider: Provider;
  key: LimitKey;
  /** The cap raised: the provider's own, or the whole grant's ('*'). */
  scope: Provider | typeof WHOLE;
  field: string;
  label: string;
  /** In the grant's units (micro-USD for spending). */
  current: number;
  most: number;
  /** The app asked for more than the operator allows: `most` is the operator's maximum. */
  cappedByServer: boolean;
  /** The whole grant's cap of this limit now, when it rises with a provider's own cap. */
  whole?: number;
}

export type RaiseTerms = { ok: true; rows: RaiseRow[] } | { ok: false; reason: string };

/**
 * What a raise request (`grant_id` with `authorization_details` asking for more) may
 * raise on this grant: each asked limit the grant already has and the app asks more of.
 * Nothing else: a raise never adds a cap where there is none (that would lower it), never
 * goes past the operator's maximum, and never changes the period.
 */
export function raiseTerms(
  grant: GrantRecord,
  asked: readonly AiAccessDetail[],
  maximums: LimitMaximums,
): RaiseTerms {
  const providers = new Set(grantProviders(grant));
  const rows: RaiseRow[] = [];
  let serverBound = false;
  for (const detail of asked) {
    if (!providers.has(detail.provider))
      return {
        ok: false,
        reason: `this access does not include ${providerDisplayName(detail.provider)}; ask for it without grant_id`,
      };
    for (const key of LIMIT_KEYS) {
      const value = detail.limits?.[key];
      if (value === undefined) continue;
      const own = capsOf(grant.limits, detail.provider)[CAP_OF_LIMIT[key]];
      const wholeNow = capsOf(grant.limits, WHOLE)[CAP_OF_LIMIT[key]];
      const scope = own !== null ? detail.provider : wholeNow !== null ? WHOLE : undefined;
      if (scope === undefined) continue; // no limit to raise
      const current = (own ?? wholeNow) as number;
      const maximum = maximums[key];
      const wanted = toRow(key, value);
      const most = maximum === undefined ? wanted : Math.min(wanted, toRow(key, maximum));
      if (most <= current) {
        if (wanted > current) serverBound = true;
        continue;
      }
      rows.push({
        provider: detail.provider,
        key,
        scope,
        field: limitField(detail.provider, key),
        label: LIMIT_LABELS[key],
        current,
        most,
        cappedByServer: most < wanted,
        ...(scope !== WHOLE && wholeNow !== null ? { whole: wholeNow } : {}),
      });
    }
  }
  if (rows.length === 0)
    return {
      ok: false,
      reason: serverBound
        ? 'the limits asked for are already at the most this server allows'
        : 'the request asks to raise no limit this access has',
    };
  return { ok: true, rows };
}

export type RaiseRead =
  | { ok: true; next: LowerLimits; changes: Array<{ row: RaiseRow; to: number }> }
  | { ok: false; error: string; field: string };

/**
 * Reads the raise page's form: each field at least the limit now (this page only
 * raises; lowering is on the app's page) and at most `most`. A provider's raised cap
 * raises the whole grant's cap of the same limit by the same amount (within the
 * operator's maximum), so the room the person gives the provider is room the grant has.
 */
export function readRaise(
  rows: readonly RaiseRow[],
  form: URLSearchParams,
  maximums: LimitMaximums,
): RaiseRead {
  const next: LowerLimits = { providers: {} };
  const changes: Array<{ row: RaiseRow; to: number }> = [];
  for (const row of rows) {
    const raw = (form.get(row.field) ?? '').trim();
    const name = `${providerDisplayName(row.provider)}: ${row.label.charAt(0).toLowerCase()}${row.label.slice(1)}`;
    const spend = row.key === 'max_spend_usd';
    const value = Number(raw);
    if (!/^\d+(\.\d+)?$/.test(raw) || checkLimitValue(row.key, value))
      return {
        ok: false,
        field: row.field,
        error: `${name} must be ${spend ? 'an amount above 0' : 'a whole number of at least 1'}.`,
      };
    const to = toRow(row.key, value);
    if (to < row.current)
      return {
        ok: false,
        field: row.field,
        error: `${name} cannot be lowered here; keep it at least what it is now, or lower it later on the app's page.`,
      };
    if (to > row.most)
      return {
        ok: false,
        field: row.field,
        error: `${name} can be at most what ${row.cappedByServer ? 'this server allows' : 'the app asked for'}.`,
      };
    if (to === row.current) continue;
    changes.push({ row, to });
    const column = CAP_OF_LIMIT[row.key];
    if (row.scope === WHOLE) {
      next[column] = to;
      continue;
    }
    const own = (next.providers as Record<string, Partial<Caps>>)[row.provider] ?? {};
    own[column] = to;
    (next.providers as Record<string, Partial<Caps>>)[row.provider] = own;
    if (row.whole !== undefined) {
      const maximum = maximums[row.key];
      const grown = (next[column] ?? row.whole) + (to - row.current);
      next[column] = Math.max(
        row.whole,
        maximum === undefined ? grown : Math.min(grown, toRow(row.key, maximum)),
      );
    }
  }
  return { ok: true, next, changes };
}
