import {
  type AiAccessDetail,
  type AiAccessLimits,
  checkLimitValue,
  LIMIT_KEYS,
  type LimitKey,
  type LimitPeriod,
  type Provider,
  providerDisplayName,
  usdToMicro,
} from '../../scopes/index.ts';
import { type Caps, capsHaveAny, type GrantLimits } from '../../storage/grant-limits.ts';
import { formatCount, formatDollars } from '../../usage/format-usage.ts';
import { type LimitMaximums, limitBound } from './operator-maximums.ts';

/** Plain words for each limit, as the consent page and its errors say them. */
export const LIMIT_LABELS: Readonly<Record<LimitKey, string>> = {
  max_requests: 'Most requests',
  max_tokens: 'Most tokens (input and output)',
  max_spend_usd: 'Most spending, in US dollars',
  requests_per_minute: 'Most requests per minute',
};

/** Limits counted over the period (requests per minute is a rate, not a total). */
const PERIODIC: readonly LimitKey[] = ['max_requests', 'max_tokens', 'max_spend_usd'];

/** Form field of one provider's limit on the consent page. */
export const limitField = (provider: Provider, key: LimitKey): string => `limit-${provider}-${key}`;

/**
 * The period the consent page offers first, and whether the person may choose `month`:
 * a lifetime cap is narrower than the same cap per month, so once the app asked for any
 * lifetime cap only `lifetime` may be granted. The operator's maximums for requests,
 * tokens and spend count over the whole grant unless the app asked for monthly caps
 * (and only monthly ones), so with such a maximum `month` also needs the app to have
 * asked for it.
 */
export function periodChoice(
  asked: readonly AiAccessDetail[],
  maximums: LimitMaximums = {},
): {
  initial: LimitPeriod;
  monthAllowed: boolean;
} {
  const periods = asked
    .filter((d) => PERIODIC.some((k) => d.limits?.[k] !== undefined))
    .map((d) => d.limits?.period ?? 'lifetime');
  const askedMonthly = periods.length > 0 && !periods.includes('lifetime');
  const capped = PERIODIC.some((k) => maximums[k] !== undefined);
  return {
    initial: askedMonthly ? 'month' : 'lifetime',
    monthAllowed: capped ? askedMonthly : !periods.includes('lifetime'),
  };
}

export type GrantedLimits =
  | { ok: true; details: AiAccessDetail[]; row: GrantLimits }
  /** `field`: the form field the error is about (a limit's input, or `period`). */
  | { ok: false; error: string; field: string };

const SERVER_MOST = 'the most this server allows';

function fmt(key: LimitKey, value: number): string {
  return key === 'max_spend_usd' ? formatDollars(value) : formatCount(value);
}

/**
 * Reads the limits the person set on the consent form. Each may only narrow what the app
 * asked and stay within the operator's maximum: a value above either, or an empty field
 * where the app asked one or the operator has a maximum, is refused. `providers` are
 * those the person kept at least one permission for. Without details (plain scopes) the
 * grant gets the operator's maximums, over its whole life.
 */
export function readGrantedLimits(
  asked: readonly AiAccessDetail[],
  form: URLSearchParams,
  providers: readonly Provider[],
  maximums: LimitMaximums = {},
): GrantedLimits {
  const { monthAllowed } = periodChoice(asked, maximums);
  let period: LimitPeriod = 'lifetime';
  if (asked.length > 0) {
    const chosen = form.get('period') ?? 'lifetime';
    if (chosen !== 'lifetime' && chosen !== 'month')
      return { ok: false, error: 'Choose a period for the limits.', field: 'period' };
    if (chosen === 'month' && !monthAllowed)
      return {
        ok: false,
        field: 'period',
        error: periodChoice(asked).monthAllowed
          ? "This server's maximums count over the whole time access lasts; the limits cannot be made monthly."
          : 'The app asked for limits over the whole time access lasts; they cannot be made monthly.',
      };
    period = chosen;
  }

  const details: AiAccessDetail[] = [];
  for (const detail of asked) {
    if (!providers.includes(detail.provider)) continue;
    const name = providerDisplayName(detail.provider);
    const limits: AiAccessLimits = {};
    for (const key of LIMIT_KEYS) {
      const wanted = detail.limits?.[key];
      const most = maximums[key];
      const raw = (form.get(limitField(detail.provider, key)) ?? '').trim();
      const label = `${name}: ${LIMIT_LABELS[key].charAt(0).toLowerCase()}${LIMIT_LABELS[key].slice(1)}`;
      const bound = limitBound(wanted, most);
      if (raw === '') {
        if (bound === undefined) continue;
        const why = bound === wanted ? 'as the app asked' : SERVER_MOST;
        return {
          ok: false,
          field: limitField(detail.provider, key),
          error: `${label} must be set, at most ${fmt(key, bound)}, ${why}.`,
        };
      }
      const value = Number(raw);
      if (!/^\d+(\.\d+)?$/.test(raw) || checkLimitValue(key, value)) {
        return {
          ok: false,
          field: limitField(detail.provider, key),
          error: `${label} must be ${key === 'max_spend_usd' ? 'an amount above 0' : 'a whole number of at least 1'}.`,
        };
      }
      if (bound !== undefined && value > bound) {
        const why = bound === wanted ? 'what the app asked for' : SERVER_MOST;
        return {
          ok: false,
          field: limitField(detail.provider, key),
          error: `${label} can be at most ${fmt(key, bound)}, ${why}. You can lower a limit, not raise it.`,
        };
      }
      limits[key] = value;
    }
    if (PERIODIC.some((k) => limits[k] !== undefined)) limits.period = period;
    const granted: AiAccessDetail = { type: detail.type, provider: detail.provider };
    if (detail.models) granted.models = [...detail.models];
    if (detail.capabilities) granted.capabilities = [...detail.capabilities];
    if (Object.keys(limits).length > 0) granted.limits = limits;
    details.push(granted);
  }

  // Each provider's caps as the person approved them, counted over that provider's
  // requests only (never summed or pooled). The grant as a whole is capped at the
  // operator's maximums, and at the total the providers' caps imply where every granted
  // provider has one (it can never bind before they do, and it is the grant-wide figure
  // the pages show); no cap where some provider has none and there is no maximum.
  const unit = (key: LimitKey, value: number) => (key === 'max_spend_usd' ? usdToMicro(value) : value);
  const capsFrom = (values: Partial<Record<LimitKey, number>>): Caps => {
    const cap = (key: LimitKey) => {
      const value = values[key];
      return value === undefined ? null : unit(key, value);
    };
    return {
      maxRequests: cap('max_requests'),
      maxTokens: cap('max_tokens'),
      maxSpendMicroUsd: cap('max_spend_usd'),
      requestsPerMinute: cap('requests_per_minute'),
    };
  };
  const perProvider: Partial<Record<Provider, Caps>> = {};
  for (const detail of details) {
    if (!detail.limits || !providers.includes(detail.provider)) continue;
    const caps = capsFrom(detail.limits);
    if (capsHaveAny(caps)) perProvider[detail.provider] = caps;
  }
  const implied = (key: LimitKey): number | undefined => {
    let sum = 0;
    for (const provider of providers) {
      const value = details.find((d) => d.provider === provider)?.limits?.[key];
      if (value === undefined) return undefined;
      sum += value;
    }
    return providers.length > 0 ? sum : undefined;
  };
  const whole: Partial<Record<LimitKey, number>> = {};
  for (const key of LIMIT_KEYS) {
    const bounds = [implied(key), maximums[key]].filter((v): v is number => v !== undefined);
    if (bounds.length > 0) whole[key] = Math.min(...bounds);
  }
  return {
    ok: true,
    details,
    row: { ...capsFrom(whole), limitPeriod: period, providers: perProvider },
  };
}
