import { type LimitKey, usdToMicro } from '../../scopes/index.ts';
import { formatCount, formatUsd } from '../../usage/format-usage.ts';

/**
 * The operator's maximum for each limit (`as.limitMaximums`), by limit key; a key that
 * is absent has no maximum. Every grant's limit stays at or below it, whatever the app
 * asked, for the grant as a whole and for each provider's details.
 */
export type LimitMaximums = Readonly<Partial<Record<LimitKey, number>>>;

/** The configuration's `as.limitMaximums` by limit key. */
export function limitMaximumsFrom(config: {
  maxRequests?: number | undefined;
  maxTokens?: number | undefined;
  maxSpendUsd?: number | undefined;
  requestsPerMinute?: number | undefined;
}): LimitMaximums {
  const out: Partial<Record<LimitKey, number>> = {};
  if (config.maxRequests !== undefined) out.max_requests = config.maxRequests;
  if (config.maxTokens !== undefined) out.max_tokens = config.maxTokens;
  if (config.maxSpendUsd !== undefined) out.max_spend_usd = config.maxSpendUsd;
  if (config.requestsPerMinute !== undefined) out.requests_per_minute = config.requestsPerMinute;
  return Object.freeze(out);
}

/** Both sets of maximums at once: for each limit the lower one. */
export function tighterMaximums(a: LimitMaximums, b: LimitMaximums): LimitMaximums {
  const out: Partial<Record<LimitKey, number>> = { ...a };
  for (const [key, value] of Object.entries(b) as Array<[LimitKey, number]>) {
    out[key] = limitBound(out[key], value);
  }
  return Object.freeze(out);
}

/** The most a field may hold: the lower of what the app asked and the operator's maximum (undefined: no bound). */
export function limitBound(asked: number | undefined, maximum: number | undefined): number | undefined {
  if (asked === undefined) return maximum;
  if (maximum === undefined) return asked;
  return Math.min(asked, maximum);
}

/** The maximums in words, "1,000 requests, $20.00 spending, 60 requests per minute"; undefined when none. */
export function describeMaximums(maximums: LimitMaximums): string | undefined {
  const parts = [
    maximums.max_requests !== undefined && `${formatCount(maximums.max_requests)} requests`,
    maximums.max_tokens !== undefined && `${formatCount(maximums.max_tokens)} tokens`,
    maximums.max_spend_usd !== undefined && `${formatUsd(usdToMicro(maximums.max_spend_usd))} spending`,
    maximums.requests_per_minute !== undefined &&
      `${formatCount(maximums.requests_per_minute)} requests per minute`,
  ].filter((p): p is string => typeof p === 'string');
  return parts.length > 0 ? parts.join(', ') : undefined;
}
