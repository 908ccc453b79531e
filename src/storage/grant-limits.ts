import type { LimitKey, Provider } from '../scopes/index.ts';

/** One scope's caps (the whole grant, or one provider's requests); null means no cap. */
export interface Caps {
  maxRequests: number | null;
  maxTokens: number | null;
  maxSpendMicroUsd: number | null;
  requestsPerMinute: number | null;
}

/**
 * The limits the person granted: caps of the whole grant (every provider's requests
 * together), one period for all of them, and each provider's own caps. A request is
 * admitted only within both its provider's caps and the whole grant's. `providers` is
 * always filled when read from storage; a provider without an entry has no caps of its own.
 */
export interface GrantLimits extends Caps {
  limitPeriod: 'lifetime' | 'month';
  providers?: Partial<Record<Provider, Caps>>;
}

/** A counter scope: '*' for the whole grant, or a provider id. */
export type Scope = '*' | Provider;
export const WHOLE: Scope = '*';

/** The cap each `authorization_details` limit sets (spend in micro-USD). */
export const CAP_OF_LIMIT: Readonly<Record<LimitKey, keyof Caps>> = Object.freeze({
  max_requests: 'maxRequests',
  max_tokens: 'maxTokens',
  max_spend_usd: 'maxSpendMicroUsd',
  requests_per_minute: 'requestsPerMinute',
});

export const CAP_KEYS = ['maxRequests', 'maxTokens', 'maxSpendMicroUsd', 'requestsPerMinute'] as const;

export const NO_CAPS: Caps = Object.freeze({
  maxRequests: null,
  maxTokens: null,
  maxSpendMicroUsd: null,
  requestsPerMinute: null,
});

export const NO_LIMITS: GrantLimits = Object.freeze({ ...NO_CAPS, limitPeriod: 'lifetime', providers: {} });

export const capsHaveAny = (caps: Caps): boolean => CAP_KEYS.some((k) => caps[k] !== null);

/** Whether any cap applies: the whole grant's or some provider's. */
export const hasCaps = (limits: GrantLimits): boolean =>
  capsHaveAny(limits) || Object.values(limits.providers ?? {}).some((c) => c !== undefined && capsHaveAny(c));

/** The caps of one scope of a grant. */
export function capsOf(limits: GrantLimits, scope: Scope): Caps {
  if (scope === WHOLE)
    return {
      maxRequests: limits.maxRequests,
      maxTokens: limits.maxTokens,
      maxSpendMicroUsd: limits.maxSpendMicroUsd,
      requestsPerMinute: limits.requestsPerMinute,
    };
  return limits.providers?.[scope as Provider] ?? NO_CAPS;
}

const numberOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Caps from limit columns (`grants` or `grant_provider_limits`), optionally prefixed (`l_max_tokens`). */
export const capsOfRow = (row: Record<string, unknown>, prefix = ''): Caps => ({
  maxRequests: numberOrNull(row[`${prefix}max_requests`]),
  maxTokens: numberOrNull(row[`${prefix}max_tokens`]),
  maxSpendMicroUsd: numberOrNull(row[`${prefix}max_spend_micro_usd`]),
  requestsPerMinute: numberOrNull(row[`${prefix}requests_per_minute`]),
});

/** Caps as limit columns. */
export const capsToRow = (caps: Caps) => ({
  max_requests: caps.maxRequests,
  max_tokens: caps.maxTokens,
  max_spend_micro_usd: caps.maxSpendMicroUsd,
  requests_per_minute: caps.requestsPerMinute,
});
