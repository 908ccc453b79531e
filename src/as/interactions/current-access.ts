import { type AiAccessDetail, providerDisplayName, usdToMicro } from '../../scopes/index.ts';
import type { GrantLimits, GrantRecord } from '../../storage/grant-store.ts';
import { describeLimits } from '../../usage/format-usage.ts';
import { scopeViews } from '../account/app-views.ts';
import type { CurrentAccessView } from '../views/index.ts';

/** What one provider's `ai_access` details ask for, in the grants row's terms. */
function limitsOfDetail(detail: AiAccessDetail): GrantLimits {
  const l = detail.limits ?? {};
  return {
    maxRequests: l.max_requests ?? null,
    maxTokens: l.max_tokens ?? null,
    maxSpendMicroUsd: l.max_spend_usd === undefined ? null : usdToMicro(l.max_spend_usd),
    limitPeriod: l.period ?? 'lifetime',
    requestsPerMinute: l.requests_per_minute ?? null,
  };
}

/**
 * The consent page's comparison when the person already allowed this app: each live
 * grant's terms, and what the app asks for now (its scopes and asked limits; the
 * operator's maximums, in words, apply on top).
 */
export function currentAccessView(
  current: readonly GrantRecord[],
  asked: { scopes: readonly string[]; details: readonly AiAccessDetail[]; maximums: string | undefined },
): CurrentAccessView {
  const limits = asked.details
    .filter((d) => d.limits !== undefined)
    .map((d) => `${providerDisplayName(d.provider)}: ${describeLimits(limitsOfDetail(d))}`);
  if (limits.length === 0) limits.push('None asked');
  if (asked.maximums) limits.push(`This server allows at most ${asked.maximums}`);
  return {
    current: current.map((g) => ({
      id: g.id,
      allowedAt: new Date(g.createdAt),
      terms: {
        scopes: scopeViews(g.scopes),
        limits: [describeLimits(g.limits)],
        until: new Date(g.expiresAt),
      },
    })),
    asked: { scopes: scopeViews(asked.scopes), limits },
  };
}

/** Whether the grants a consent form was shown (its `replaces` fields) are exactly the live ones now. */
export function sameGrants(shown: readonly string[], live: readonly GrantRecord[]): boolean {
  const ids = new Set(live.map((g) => g.id));
  return new Set(shown).size === ids.size && shown.every((id) => ids.has(id));
}
