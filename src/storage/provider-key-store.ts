import type { Clock } from './clock.ts';
import type { Database } from './create-database.ts';

/** One person's key for one provider, as stored: a JWE only proxy processes can open. */
export interface StoredProviderKey {
  accountId: string;
  provider: string;
  /** JWE compact serialization, encrypted to the proxy key `kid`. */
  ciphertext: string;
  kid: string;
  last4: string;
  createdAt: number;
  updatedAt: number;
}

/** What may be shown about a stored key: never the ciphertext. */
export interface ProviderKeyListing {
  provider: string;
  last4: string;
  updatedAt: number;
}

export interface NewProviderKey {
  ciphertext: string;
  kid: string;
  last4: string;
}

interface Row {
  account_id: string;
  provider: string;
  ciphertext: string;
  kid: string;
  last4: string;
  created_at: number;
  updated_at: number;
}

const toStored = (r: Row): StoredProviderKey => ({
  accountId: r.account_id,
  provider: r.provider,
  ciphertext: r.ciphertext,
  kid: r.kid,
  last4: r.last4,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/**
 * People's provider keys (`provider_keys`), one per account and provider. Values arrive
 * already encrypted; this store never sees a plaintext key.
 */
export function createProviderKeyStore(db: Database, clock: Clock) {
  return {
    /** Adds or replaces the key; says which. */
    async set(accountId: string, provider: string, key: NewProviderKey): Promise<'added' | 'replaced'> {
      return db.transaction(async (trx) => {
        const now = clock();
        const existing = await trx('provider_keys').where({ account_id: accountId, provider }).first('kid');
        await trx('provider_keys')
          .insert({
            account_id: accountId,
            provider,
            ciphertext: key.ciphertext,
            kid: key.kid,
            last4: key.last4,
            created_at: now,
            updated_at: now,
          })
          .onConflict(['account_id', 'provider'])
          .merge(['ciphertext', 'kid', 'last4', 'updated_at']);
        return existing ? 'replaced' : 'added';
      });
    },

    /** The stored key with its ciphertext, for the proxy (and rotation). */
    async get(accountId: string, provider: string): Promise<StoredProviderKey | undefined> {
      const row = await db('provider_keys').where({ account_id: accountId, provider }).first();
      return row ? toStored(row) : undefined;
    },

    /** What the person's pages and the CLI show, by provider name. */
    async listForAccount(accountId: string): Promise<ProviderKeyListing[]> {
      const rows = await db('provider_keys')
        .where({ account_id: accountId })
        .orderBy('provider')
        .select('provider', 'last4', 'updated_at');
      return rows.map((r) => ({ provider: r.provider, last4: r.last4, updatedAt: Number(r.updated_at) }));
    },

    /** The providers this person holds a key for. */
    async providersFor(accountId: string): Promise<string[]> {
      const rows = await db('provider_keys')
        .where({ account_id: accountId })
        .orderBy('provider')
        .select('provider');
      return rows.map((r) => r.provider as string);
    },

    /** Deletes the key; false when there was none. */
    async delete(accountId: string, provider: string): Promise<boolean> {
      return (await db('provider_keys').where({ account_id: accountId, provider }).delete()) > 0;
    },

    /**
     * Keys not encrypted to `kid`, in (account, provider) order, a page at a time after
     * `after`: what a rotation still has to re-wrap.
     */
    async listByKidNot(
      kid: string,
      { after, limit = 100 }: { after?: { accountId: string; provider: string }; limit?: number } = {},
    ): Promise<StoredProviderKey[]> {
      const query = db('provider_keys').whereNot({ kid });
      if (after) {
        query.where((q) =>
          q
            .where('account_id', '>', after.accountId)
            .orWhere((same) =>
              same.where('account_id', after.accountId).where('provider', '>', after.provider),
            ),
        );
      }
      const rows = await query.orderBy([{ column: 'account_id' }, { column: 'provider' }]).limit(limit);
      return rows.map(toStored);
    },

    /**
     * Replaces one key's ciphertext with a re-wrapped one, only if it is still the one
     * that was read (a single UPDATE, so atomic): a key the person replaced meanwhile is
     * left alone. `updated_at` stays: the person did not change the key.
     */
    async rewrap(
      accountId: string,
      provider: string,
      from: { ciphertext: string },
      to: { ciphertext: string; kid: string },
    ): Promise<boolean> {
      const changed = await db('provider_keys')
        .where({ account_id: accountId, provider, ciphertext: from.ciphertext })
        .update({ ciphertext: to.ciphertext, kid: to.kid });
      return changed > 0;
    },

    /** How many keys are encrypted to each proxy key. */
    async countByKid(): Promise<Record<string, number>> {
      const rows = (await db('provider_keys').select('kid').count({ n: '*' }).groupBy('kid')) as Array<{
        kid: string;
        n: string | number;
      }>;
      return Object.fromEntries(rows.map((r) => [r.kid, Number(r.n)]));
    },
  };
}

export type ProviderKeyStore = ReturnType<typeof createProviderKeyStore>;
