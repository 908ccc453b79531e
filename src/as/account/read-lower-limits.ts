import { checkLimitValue, type LimitKey, usdToMicro } from '../../scopes/index.ts';
import type { GrantLimits } from '../../storage/grant-store.ts';
import { formatCount, formatUsd } from '../../usage/format-usage.ts';
import { LIMIT_LABELS } from '../interactions/granted-limits.ts';

type GrantLimitKey = Exclude<keyof GrantLimits, 'limitPeriod' | 'providers'>;

/** The form's fields (named as in `authorization_details`) and the grant's columns they set. */
export const LOWER_LIMIT_FIELDS: ReadonlyArray<readonly [LimitKey, GrantLimitKey]> = [
  ['max_requests', 'maxRequests'],
  ['max_tokens', 'maxTokens'],
  ['max_spend_usd', 'maxSpendMicroUsd'],
  ['requests_per_minute', 'requestsPerMinute'],
];

export type LowerLimitsRead =
  | { ok: true; next: Partial<Record<GrantLimitKey, number>> }
  | { ok: false; message: string; field: LimitKey };

const shown = (key: LimitKey, value: number) =>
  key === 'max_spend_usd' ? formatUsd(value) : formatCount(value);

/** A dollar amount for the spending field: "5.00", or every decimal below a cent ("0.0025"). */
export function usdField(microUsd: number): string {
  return microUsd % 10_000 === 0 ? (microUsd / 1e6).toFixed(2) : String(microUsd / 1e6);
}

/**
 * Reads the lower-limits form against the grant's current limits. A field may keep its
 * limit, lower it, or set one where there is none (an empty field there keeps none); it
 * may not raise a limit or empty one that is set: that would widen what the person
 * allowed, and only a new authorization by the app may ask for more.
 */
export function readLowerLimits(form: URLSearchParams, current: GrantLimits): LowerLimitsRead {
  const next: Partial<Record<GrantLimitKey, number>> = {};
  for (const [key, column] of LOWER_LIMIT_FIELDS) {
    const label = LIMIT_LABELS[key];
    const raw = (form.get(key) ?? '').trim().replace(/^\$/, '');
    const was = current[column];
    const wasShown = was === null ? '' : shown(key, was);
    if (raw === '') {
      if (was === null) continue;
      return {
        ok: false,
        field: key,
        message: `${label} is ${wasShown} now: it can be lowered, not removed. To allow more, the app has to ask you again.`,
      };
    }
    const spend = key === 'max_spend_usd';
    const number = Number(raw);
    if (!(spend ? /^(\d+(\.\d*)?|\.\d+)$/ : /^\d+$/).test(raw) || checkLimitValue(key, number)) {
      return {
        ok: false,
        field: key,
        message: spend
          ? `${label} must be an amount above $0, with at most six decimals.`
          : `${label} must be a whole number of at least 1.`,
      };
    }
    const value = spend ? usdToMicro(number) : number;
    if (was !== null && value > was) {
      return {
        ok: false,
        field: key,
        message: `${label} can only be lowered: it is ${wasShown} now. To allow more, the app has to ask you again.`,
      };
    }
    next[column] = value;
  }
  return { ok: true, next };
}
