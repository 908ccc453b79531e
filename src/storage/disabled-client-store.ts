import type { Clock } from './clock.ts';
import type { Database } from './create-database.ts';
import type { RevocationStore } from './revocation-store.ts';

export interface DisabledClient {
  clientId: string;
  disabledAt: number;
  /** The operator's account id, or null. */
  disabledBy: string | null;
}

/**
 * Apps the operator disabled (the operator's pages). A disabled app is "not found" to
 * oidc-provider (src/as/provider/internals.ts): it cannot authorize or get tokens.
 * Disabling also revokes its live grants through the one revocation path, reason
 * `client_disabled`, so every proxy drops its tokens at once; enabling does not bring
 * them back (the people allow it again).
 */
export function createDisabledClientStore(db: Database, clock: Clock, revocations: RevocationStore) {
  return {
    /** Marks the app disabled (idempotent) and revokes its live grants; returns how many. */
    async disable(clientId: string, by: string | null): Promise<number> {
      await db('disabled_clients')
        .insert({ client_id: clientId, disabled_at: clock(), disabled_by: by })
        .onConflict('client_id')
        .ignore();
      // After the mark: no new token or grant can appear for the app once it is set.
      const live = await db('grants')
        .where({ client_id: clientId })
        .whereNull('revoked_at')
        .where('expires_at', '>', clock())
        .pluck('id');
      let revoked = 0;
      for (const grantId of live) if (await revocations.revokeGrant(grantId, 'client_disabled')) revoked++;
      return revoked;
    },
    /** Lets the app authorize again; false if it was not disabled. */
    async enable(clientId: string): Promise<boolean> {
      return (await db('disabled_clients').where({ client_id: clientId }).delete()) > 0;
    },
    async isDisabled(clientId: string): Promise<boolean> {
      return Boolean(await db('disabled_clients').where({ client_id: clientId }).first('client_id'));
    },
    async find(clientId: string): Promise<DisabledClient | undefined> {
      const r = await db('disabled_clients').where({ client_id: clientId }).first();
      return r
        ? { clientId: r.client_id, disabledAt: Number(r.disabled_at), disabledBy: r.disabled_by }
        : undefined;
    },
    async list(): Promise<DisabledClient[]> {
      const rows = await db('disabled_clients').orderBy('disabled_at', 'desc');
      return rows.map((r) => ({
        clientId: r.client_id,
        disabledAt: Number(r.disabled_at),
        disabledBy: r.disabled_by,
      }));
    },
  };
}

export type DisabledClientStore = ReturnType<typeof createDisabledClientStore>;
