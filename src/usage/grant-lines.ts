import { type Scope, WHOLE } from '../storage/grant-limits.ts';
import type { GrantRecord } from '../storage/grant-store.ts';
import { formatAgainstCap, formatMeasure, type Measure } from './format-usage.ts';
import type { CapFigure } from './grant-usage.ts';

/*
 * A grant's figures as one line each, shared by the CLI (`mandate usage`) and the
 * operator's pages (/operator/grants) so both say the same.
 */

/**
 * "12 of 200 (6%), 188 left", "12 of 200 (6%), 1 in flight, 20 set aside, 167 left", or
 * "12 (no cap)": what the page shows for one cap.
 */
export function capLine(measure: Measure, cap: CapFigure): string {
  const inFlight = cap.inFlight > 0 ? `, ${formatMeasure(measure, cap.inFlight)} in flight` : '';
  const setAside = cap.setAside > 0 ? `, ${formatMeasure(measure, cap.setAside)} set aside` : '';
  const left = cap.remaining === null ? '' : `, ${formatMeasure(measure, cap.remaining)} left`;
  return `${formatAgainstCap(measure, cap)}${inFlight}${setAside}${left}`;
}

/** The SCOPE column: `all` for the whole grant, else the provider id. */
export const scopeName = (scope: Scope): string => (scope === WHOLE ? 'all' : scope);

/** "live", "revoked (cli)" or "expired". */
export function grantState(grant: GrantRecord, now: number): string {
  if (grant.revokedAt !== null)
    return grant.revokedReason === 'expired' ? 'expired' : `revoked (${grant.revokedReason})`;
  return grant.expiresAt <= now ? 'expired' : 'live';
}
