import { type Provider, providerDisplayName } from '../scopes/index.ts';
import type { Caps, GrantLimits } from '../storage/grant-limits.ts';
import type { UsagePeriod } from '../storage/limit-period.ts';
import type { CapFigure } from './grant-usage.ts';

/*
 * Figures in words, shared by the account pages and the CLI so both say the same:
 * counts with thousands separators, money in US dollars with cents (more decimals only
 * below a cent), dates in UTC as "2026-11-30 17:05 UTC" (`formatUtc`), days as
 * "2026-11-30". One locale, en-US, for every page and command.
 */

const count = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const cents = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const small = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 6 });

/** 1234567 → "1,234,567". */
export const formatCount = (n: number): string => count.format(n);

/** Micro-USD as dollars: 5_000_000 → "$5.00", 1_234 → "$0.001234" (below a cent, to the micro-dollar). */
export function formatUsd(microUsd: number): string {
  const sign = microUsd < 0 ? '-' : '';
  const abs = Math.abs(microUsd);
  return `${sign}$${(abs >= 10_000 || abs === 0 ? cents : small).format(abs / 1e6)}`;
}

/** Dollars (as `authorization_details` and the forms say them) like micro-USD: 5 → "$5.00", 0.0025 → "$0.0025". */
export const formatDollars = (usd: number): string => formatUsd(Math.round(usd * 1e6));

/** A share of a cap: "6%", "<1%" for a little above nothing, never rounded up to 100%. */
export function formatPercent(percent: number): string {
  if (percent > 0 && percent < 1) return '<1%';
  return `${Math.floor(percent)}%`;
}

export type Measure = 'requests' | 'tokens' | 'spend';

export const formatMeasure = (measure: Measure, n: number): string =>
  measure === 'spend' ? formatUsd(n) : formatCount(n);

/** "12 of 200 (6%)", or "12 (no cap)". */
export function formatAgainstCap(measure: Measure, cap: CapFigure): string {
  const used = formatMeasure(measure, cap.used);
  if (cap.limit === null || cap.percent === null) return `${used} (no cap)`;
  return `${used} of ${formatMeasure(measure, cap.limit)} (${formatPercent(cap.percent)})`;
}

/** "2026-11-30 17:05 UTC". */
export function formatUtc(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** "lifetime (never resets)", or "2026-11 (resets 2026-12-01 00:00 UTC)". */
export function formatPeriod(period: UsagePeriod): string {
  if (period.resetsAt === null) return 'lifetime (never resets)';
  return `${period.key} (resets ${formatUtc(period.resetsAt)})`;
}

/** One scope's caps in words, or undefined without any. */
function describeCaps(caps: Caps, period: GrantLimits['limitPeriod']): string | undefined {
  const totals = [
    caps.maxRequests !== null && `${formatCount(caps.maxRequests)} requests`,
    caps.maxTokens !== null && `${formatCount(caps.maxTokens)} tokens`,
    caps.maxSpendMicroUsd !== null && formatUsd(caps.maxSpendMicroUsd),
  ].filter((c): c is string => typeof c === 'string');
  const parts: string[] = [];
  if (totals.length > 0)
    parts.push(`at most ${totals.join(', ')} ${period === 'month' ? 'each calendar month' : 'in total'}`);
  if (caps.requestsPerMinute !== null)
    parts.push(`${formatCount(caps.requestsPerMinute)} requests per minute`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

const CAP_KEYS = ['maxRequests', 'maxTokens', 'maxSpendMicroUsd', 'requestsPerMinute'] as const;

/** Of a provider's caps, those tighter than the whole grant's (the others can never bind). */
function tighter(caps: Caps, whole: Caps): Caps {
  const out: Caps = { maxRequests: null, maxTokens: null, maxSpendMicroUsd: null, requestsPerMinute: null };
  for (const key of CAP_KEYS) {
    const own = caps[key];
    const all = whole[key];
    if (own !== null && (all === null || own < all)) out[key] = own;
  }
  return out;
}

/**
 * The caps in words: "at most 200 requests, $5.00 each calendar month; 30 requests per
 * minute" for the whole grant, then each provider's own where tighter ("OpenAI: at most
 * 2 requests in total").
 */
export function describeLimits(limits: GrantLimits): string {
  const parts = [describeCaps(limits, limits.limitPeriod)];
  const providers = Object.entries(limits.providers ?? {}) as Array<[Provider, Caps | undefined]>;
  for (const [provider, caps] of providers) {
    const words = caps && describeCaps(tighter(caps, limits), limits.limitPeriod);
    if (words) parts.push(`${providerDisplayName(provider)}: ${words}`);
  }
  const said = parts.filter((p): p is string => p !== undefined);
  return said.length > 0 ? said.join('; ') : 'no limits';
}
