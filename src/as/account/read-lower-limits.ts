import {
  checkLimitValue,
  type LimitKey,
  type Provider,
  providerDisplayName,
  usdToMicro,
} from '../../scopes/index.ts';
import type { Caps } from '../../storage/grant-limits.ts';
import type { GrantLimits, LowerLimits } from '../../storage/grant-store.ts';
import { formatCount, formatUsd } from '../../usage/format-usage.ts';
import { LIMIT_LABELS, limitField } from '../interactions/granted-limits.ts';

type GrantLimitKey = keyof Caps;

/** The form's fields (named as in `authorization_details`) and the caps they set. */
export const LOWER_LIMIT_FIELDS: ReadonlyArray<readonly [LimitKey, GrantLimitKey]> = [
  ['max_requests', 'maxRequests'],
  ['max_tokens', 'maxTokens'],
  ['max_spend_usd', 'maxSpendMicroUsd'],
  ['requests_per_minute', 'requestsPerMinute'],
];

/**
 * The form's field for one limit: the whole grant's keeps the `authorization_details`
 * name (`max_requests`), a provider's is named as on the consent page (`limit-openai-max_requests`).
 */
export const lowerLimitField = (provider: Provider | undefined, key: LimitKey): string =>
  provider === undefined ? key : limitField(provider, key);

export type LowerLimitsRead = { ok: true; next: LowerLimits } | { ok: false; message: string; field: string };

const shown = (key: LimitKey, value: number) =>
  key === 'max_spend_usd' ? formatUsd(value) : formatCount(value);

/** A dollar amount for the spending field: "5.00", or every decimal below a cent ("0.0025"). */
export function usdField(microUsd: number): string {
  return microUsd % 10_000 === 0 ? (microUsd / 1e6).toFixed(2) : String(microUsd / 1e6);
}

/** Reads one group of fields (the whole grant's, or one provider's) against its current caps. */
function readGroup(
  form: URLSearchParams,
  current: Caps,
  provider: Provider | undefined,
): { ok: true; next: Partial<Caps> } | { ok: false; message: string; field: string } {
  const next: Partial<Caps> = {};
  for (const [key, column] of LOWER_LIMIT_FIELDS) {
    const field = lowerLimitField(provider, key);
    const label =
      provider === undefined
        ? LIMIT_LABELS[key]
        : `${providerDisplayName(provider)}: ${LIMIT_LABELS[key].charAt(0).toLowerCase()}${LIMIT_LABELS[key].slice(1)}`;
    const raw = (form.get(field) ?? '').trim().replace(/^\$/, '');
    const was = current[column];
    const wasShown = was === null ? '' : shown(key, was);
    if (raw === '') {
      if (was === null) continue;
      return {
        ok: false,
        field,
        message: `${label} is ${wasShown} now: it can be lowered, not removed. To allow more, the app has to ask you again.`,
      };
    }
    const spend = key === 'max_spend_usd';
    const number = Number(raw);
    if (!(spend ? /^(\d+(\.\d*)?|\.\d+)$/ : /^\d+$/).test(raw) || checkLimitValue(key, number)) {
      return {
        ok: false,
        field,
        message: spend
          ? `${label} must be an amount above $0, with at most six decimals.`
          : `${label} must be a whole number of at least 1.`,
      };
    }
    const value = spend ? usdToMicro(number) : number;
    if (was !== null && value > was) {
      return {
        ok: false,
        field,
        message: `${label} can only be lowered: it is ${wasShown} now. To allow more, the app has to ask you again.`,
      };
    }
    next[column] = value;
  }
  return { ok: true, next };
}

/**
 * Reads the lower-limits form against the grant's current limits: the whole grant's
 * group, and one group per provider of `providers` (the form's fieldsets). A field may
 * keep its limit, lower it, or set one where there is none (an empty field there keeps
 * none); it may not raise a limit or empty one that is set: that would widen what the
 * person allowed, and only a new authorization by the app may ask for more.
 */
export function readLowerLimits(
  form: URLSearchParams,
  current: GrantLimits,
  providers: readonly Provider[] = [],
): LowerLimitsRead {
  const whole = readGroup(form, current, undefined);
  if (!whole.ok) return whole;
  const next: LowerLimits = { ...whole.next };
  for (const provider of providers) {
    const was = current.providers?.[provider] ?? {
      maxRequests: null,
      maxTokens: null,
      maxSpendMicroUsd: null,
      requestsPerMinute: null,
    };
    const read = readGroup(form, was, provider);
    if (!read.ok) return read;
    if (Object.keys(read.next).length > 0) next.providers = { ...next.providers, [provider]: read.next };
  }
  return { ok: true, next };
}
