import { type Provider, providerIds } from '../scopes/index.ts';
import type { GrantRecord } from '../storage/grant-store.ts';

/**
 * The providers a grant concerns, in the registry's order: those its scopes name, those it
 * has caps for, and any `also` (say, providers the ledger charged).
 */
export function grantProviders(
  grant: Pick<GrantRecord, 'scopes' | 'limits'>,
  also: Iterable<string> = [],
): Provider[] {
  const named = new Set<string>([
    ...grant.scopes.map((s) => s.split(':')[0] ?? ''),
    ...Object.keys(grant.limits.providers ?? {}),
    ...also,
  ]);
  return providerIds().filter((p) => named.has(p));
}
