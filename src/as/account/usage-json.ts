import { type Caps, capsOf, type Scope } from '../../storage/grant-limits.ts';
import type { GrantRecord } from '../../storage/grant-store.ts';
import type { CapFigure, GrantUsage, ScopeFigures } from '../../usage/grant-usage.ts';

const cap = (c: CapFigure) => ({
  used: c.used,
  in_flight: c.inFlight,
  set_aside: c.setAside,
  limit: c.limit,
  remaining: c.remaining,
  percent: c.percent,
});

const capsJson = (caps: Caps) => ({
  max_requests: caps.maxRequests,
  max_tokens: caps.maxTokens,
  max_spend_micro_usd: caps.maxSpendMicroUsd,
  requests_per_minute: caps.requestsPerMinute,
});

/** One scope's caps and its figures from the ledger the proxy enforces. */
const scopeJson = (grant: GrantRecord, scope: Scope, figures: ScopeFigures) => ({
  limits: capsJson(capsOf(grant.limits, scope)),
  usage: {
    requests: cap(figures.requests),
    tokens: cap(figures.tokens),
    spend_micro_usd: cap(figures.spendMicroUsd),
  },
});
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * A grant's figures as JSON for the person's own tools: the same numbers the pages and
 * the CLI show. Against the caps, from the ledger the proxy enforces: `whole_grant`
 * (every provider together) and `providers.<id>` (each provider's own caps, null where
 * none); `limits` and `usage` repeat the whole grant's. Money is in integer micro-USD
 * (USD × 10⁶), times are ISO 8601 UTC.
 */
export function usageJson(grant: GrantRecord, appName: string, usage: GrantUsage) {
  const live = grant.revokedAt === null && grant.expiresAt > usage.now;
  return {
    grant_id: grant.id,
    client_id: grant.clientId,
    app_name: appName,
    scopes: grant.scopes,
    created_at: iso(grant.createdAt),
    expires_at: iso(grant.expiresAt),
    state: live
      ? 'live'
      : grant.revokedAt !== null && grant.revokedReason !== 'expired'
        ? 'revoked'
        : 'expired',
    limits: {
      max_requests: grant.limits.maxRequests,
      max_tokens: grant.limits.maxTokens,
      max_spend_micro_usd: grant.limits.maxSpendMicroUsd,
      period: grant.limits.limitPeriod,
      requests_per_minute: grant.limits.requestsPerMinute,
    },
    whole_grant: scopeJson(grant, '*', usage),
    providers: Object.fromEntries(usage.providers.map((p) => [p.scope, scopeJson(grant, p.scope, p)])),
    period: {
      kind: usage.period.kind,
      key: usage.period.key,
      starts_at: iso(usage.period.startsAt),
      resets_at: iso(usage.period.resetsAt),
    },
    usage: {
      requests: cap(usage.requests),
      tokens: cap(usage.tokens),
      spend_micro_usd: cap(usage.spendMicroUsd),
      unpriced_requests: usage.unpricedRequests,
    },
    last_30_days: {
      requests: usage.last30Days.requests,
      tokens: usage.last30Days.tokens,
      spend_micro_usd: usage.last30Days.spendMicroUsd,
      days: usage.days.map((d) => ({
        date: d.date,
        requests: d.requests,
        tokens: d.tokens,
        spend_micro_usd: d.spendMicroUsd,
      })),
    },
    recent_requests: usage.recent.map((r) => ({
      at: iso(r.createdAt),
      provider: r.provider,
      model: r.model,
      capability: r.capability,
      input_tokens: r.inputTokens,
      cached_input_tokens: r.cachedInputTokens,
      cache_write_tokens: r.cacheWriteTokens,
      output_tokens: r.outputTokens,
      reasoning_tokens: r.reasoningTokens,
      cost_micro_usd: r.costMicroUsd,
      status: r.status,
      upstream_ms: r.upstreamMs,
      client_aborted: r.clientAborted,
      upstream_failed: r.upstreamFailed,
    })),
  };
}
