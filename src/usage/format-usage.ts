import type { GrantLimits } from '../storage/grant-store.ts';
import type { UsagePeriod } from '../storage/limit-period.ts';
import type { CapFigure } from './grant-usage.ts';

/*
 * Figures in words, shared by the account pages and the CLI so both say the same:
 * counts with thousands separators, money in US dollars with cents (more decimals only
 * below a cent), dates in UTC.
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

/** The caps in words: "at most 200 requests, $5.00 each calendar month; 30 requests per minute". */
export function describeLimits(limits: GrantLimits): string {
  const caps = [
    limits.maxRequests !== null && `${formatCount(limits.maxRequests)} requests`,
    limits.maxTokens !== null && `${formatCount(limits.maxTokens)} tokens`,
    limits.maxSpendMicroUsd !== null && formatUsd(limits.maxSpendMicroUsd),
  ].filter((c): c is string => typeof c === 'string');
  const parts: string[] = [];
  if (caps.length > 0)
    parts.push(
      `at most ${caps.join(', ')} ${limits.limitPeriod === 'month' ? 'each calendar month' : 'in total'}`,
    );
  if (limits.requestsPerMinute !== null)
    parts.push(`${formatCount(limits.requestsPerMinute)} requests per minute`);
  return parts.length > 0 ? parts.join('; ') : 'no limits';
}
