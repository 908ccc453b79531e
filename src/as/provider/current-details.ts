import { type AiAccessDetail, type AiAccessLimits, LIMIT_KEYS, type LimitKey } from '../../scopes/index.ts';
import { CAP_OF_LIMIT, capsOf, type GrantLimits } from '../../storage/grant-limits.ts';

const PERIODIC: readonly LimitKey[] = ['max_requests', 'max_tokens', 'max_spend_usd'];

/**
 * The `ai_access` details as the grant's limits stand now (they may have been lowered
 * since the token was issued): each provider's limit is the lower of its own cap and the
 * whole grant's, since a provider can never use more than the grant as a whole allows.
 * Models and capabilities are kept as granted.
 */
export function withCurrentLimits(details: readonly AiAccessDetail[], limits: GrantLimits): AiAccessDetail[] {
  return details.map((detail) => {
    const own = capsOf(limits, detail.provider);
    const current: AiAccessLimits = {};
    for (const key of LIMIT_KEYS) {
      const caps = [own[CAP_OF_LIMIT[key]], limits[CAP_OF_LIMIT[key]]].filter((v): v is number => v !== null);
      if (caps.length === 0) continue;
      const value = Math.min(...caps);
      current[key] = key === 'max_spend_usd' ? value / 1_000_000 : value;
    }
    if (PERIODIC.some((k) => current[k] !== undefined)) current.period = limits.limitPeriod;
    const { limits: _granted, ...rest } = detail;
    return Object.keys(current).length > 0 ? { ...rest, limits: current } : { ...rest };
  });
}
