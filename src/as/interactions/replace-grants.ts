import type { GrantLimits, GrantRecord } from '../../storage/grant-store.ts';
import type { Stores } from '../../storage/index.ts';

/** The terms a grant was allowed on, as the audit trail records them. */
export type GrantTerms = { scopes: string[]; limits: GrantLimits; expiresAt: number };

/**
 * Re-authorization: the person allowed `next`, so every earlier live grant of theirs to
 * the same app ends. Each is revoked (tokens deleted, revocation logged so every proxy
 * drops it, a 'revoked' event saying which grant replaced it), then the new grant's
 * trail records a 'reauthorized' event with the replaced grants and their terms beside
 * the new ones. Nothing of the old terms carries over.
 */
export async function replaceGrants(
  stores: Pick<Stores, 'revocations' | 'grantEvents'>,
  replaced: readonly GrantRecord[],
  next: GrantTerms & { grantId: string; accountId: string; clientId: string },
): Promise<void> {
  if (replaced.length === 0) return;
  for (const old of replaced) {
    await stores.revocations.revokeGrant(old.id, 'reauthorized', { replacedBy: next.grantId });
  }
  await stores.grantEvents.append({
    grantId: next.grantId,
    accountId: next.accountId,
    clientId: next.clientId,
    kind: 'reauthorized',
    detail: {
      replaced: replaced.map((g) => ({
        grantId: g.id,
        scopes: g.scopes,
        limits: g.limits,
        expiresAt: g.expiresAt,
      })),
      scopes: next.scopes,
      limits: next.limits,
      expiresAt: next.expiresAt,
    },
  });
}
