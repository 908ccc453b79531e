import type { Writable } from 'node:stream';
import type { Stores } from '../storage/index.ts';
import { isoDate, printTable, UsageError } from './output.ts';

export async function listGrants(
  stores: Stores,
  out: Writable,
  { user, client, all }: { user?: string; client?: string; all: boolean },
): Promise<void> {
  let accountId: string | undefined;
  if (user) {
    const account = await stores.accounts.findByUsername(user);
    if (!account) throw new UsageError(`no user named ${user}`);
    accountId = account.id;
  }
  const grants = await stores.grants.list({
    ...(accountId ? { accountId } : {}),
    ...(client ? { clientId: client } : {}),
    includeEnded: all,
  });
  const names = new Map<string, string>();
  for (const g of grants) {
    if (!names.has(g.accountId))
      names.set(g.accountId, (await stores.accounts.findById(g.accountId))?.username ?? g.accountId);
  }
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
  const grant = await stores.grants.find(grantId);
  if (!grant) throw new UsageError(`no grant ${grantId}`);
  const revoked = await stores.revocations.revokeGrant(grantId, 'cli');
  out.write(revoked ? `revoked grant ${grantId}\n` : `grant ${grantId} was already revoked\n`);
}
