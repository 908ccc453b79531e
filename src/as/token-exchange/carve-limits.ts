import type { AiAccessLimits, Provider } from '../../scopes/index.ts';
import { usdToMicro } from '../../scopes/index.ts';
import type { Counters } from '../../storage/budget-decision.ts';
import {
  type Caps,
  capsOf,
  type GrantLimits,
  NO_CAPS,
  type Scope,
  WHOLE,
} from '../../storage/grant-limits.ts';

const PERIODIC = [
  ['maxRequests', 'requests', 'max_requests'],
  ['maxTokens', 'tokens', 'max_tokens'],
  ['maxSpendMicroUsd', 'microUsd', 'max_spend_usd'],
] as const;

const least = (...values: Array<number | null | undefined>): number | null => {
  const set = values.filter((v): v is number => typeof v === 'number');
  return set.length === 0 ? null : Math.min(...set);
};

/** What is left of one scope's caps of the parent (cap minus charged, open reservations included). */
function leftOf(caps: Caps, charged: Counters | undefined): Caps {
  const left: Caps = { ...caps };
  for (const [cap, used] of PERIODIC) {
    const value = caps[cap];
    if (value !== null) left[cap] = Math.max(0, value - (charged?.[used] ?? 0));
  }
  return left;
}

/**
 * The caps of a child grant (token exchange), carved out of what its parent has left
 * now. No I/O. The child's whole-grant caps are what the parent has left of its own;
 * each provider's are the least of what the child asked (`requested`, from its
 * `ai_access` details), what the parent has left of that provider's caps, and of its
 * whole-grant caps. Requests per minute are the least of the child's ask and the
 * parent's. A child's caps count over its whole (short) life. The parent's counters
 * count every request of the child as well (src/storage/budget-store.ts), so this is
 * what the child may spend at most, never a budget added to the parent's.
 */
export function carveLimits(
  parent: GrantLimits,
  charged: ReadonlyMap<Scope, Counters>,
  providers: readonly Provider[],
  requested: Partial<Record<Provider, AiAccessLimits>>,
): GrantLimits {
  const whole = leftOf(capsOf(parent, WHOLE), charged.get(WHOLE));
  const out: GrantLimits = { ...whole, limitPeriod: 'lifetime', providers: {} };
  for (const provider of providers) {
    const own = leftOf(parent.providers?.[provider] ?? NO_CAPS, charged.get(provider));
    const asked = requested[provider] ?? {};
    const caps: Caps = {
      maxRequests: least(asked.max_requests, own.maxRequests, whole.maxRequests),
      maxTokens: least(asked.max_tokens, own.maxTokens, whole.maxTokens),
      maxSpendMicroUsd: least(
        asked.max_spend_usd === undefined ? undefined : usdToMicro(asked.max_spend_usd),
        own.maxSpendMicroUsd,
        whole.maxSpendMicroUsd,
      ),
      requestsPerMinute: least(asked.requests_per_minute, own.requestsPerMinute, whole.requestsPerMinute),
    };
    (out.providers as Partial<Record<Provider, Caps>>)[provider] = caps;
  }
  return out;
}
