import type { Writable } from 'node:stream';
import type { Stores } from '../storage/index.ts';
import { findAccount, findGrant, username } from './grant-figures.ts';
import { isoDate, printTable, UsageError } from './output.ts';

export async function listGrants(
  stores: Stores,
  out: Writable,
  { user, client, all }: { user?: string; client?: string; all: boolean },
): Promise<void> {
  const accountId = user ? (await findAccount(stores, user)).id : undefined;
  const grants = await stores.grants.list({
    ...(accountId ? { accountId } : {}),
    ...(client ? { clientId: client } : {}),
    includeEnded: all,
  });
  const names = new Map<string, string>();
  for (const g of grants)
    if (!names.has(g.accountId)) names.set(g.accountId, await username(stores, g.accountId));
  const now = stores.clock();
  printTable(
    out,
    ['GRANT ID', 'USER', 'CLIENT', 'SCOPES', 'CREATED', 'EXPIRES', 'STATE'],
    grants.map((g) => [
      g.id,
      names.get(g.accountId) ?? g.accountId,
      g.clientId,
      g.scopes.join(' '),
      isoDate(g.createdAt),
      isoDate(g.expiresAt),
      g.revokedAt ? `revoked (${g.revokedReason})` : g.expiresAt <= now ? 'expired' : 'active',
    ]),
  );
}

/** `mandate grant revoke ID`: durable, logged, and every proxy hears of it. */
export async function revokeGrant(stores: Stores, out: Writable, grantId: string | undefined): Promise<void> {
  if (!grantId) throw new UsageError('usage: mandate grant revoke GRANT_ID');
  await findGrant(stores, grantId);
  const revoked = await stores.revocations.revokeGrant(grantId, 'cli');
  out.write(revoked ? `revoked grant ${grantId}\n` : `grant ${grantId} was already revoked\n`);
}
