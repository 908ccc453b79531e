import type { Clock } from './clock.ts';
import type { Database } from './create-database.ts';

export interface ClientRecord {
  clientId: string;
  metadata: Record<string, unknown>;
  confidential: boolean;
  createdAt: number;
}

/** Registered OAuth clients. Secrets are stored only as hashes made by the caller. */
export function createClientStore(db: Database, clock: Clock) {
  return {
    async create(
      clientId: string,
      metadata: Record<string, unknown>,
      secretHash: string | null,
    ): Promise<void> {
      await db('clients').insert({
        client_id: clientId,
        metadata: JSON.stringify(metadata),
        secret_hash: secretHash,
        created_at: clock(),
      });
    },
    async list(): Promise<ClientRecord[]> {
      const rows = await db('clients').orderBy('created_at');
      return rows.map((r) => ({
        clientId: r.client_id,
        metadata: JSON.parse(r.metadata),
        confidential: Boolean(r.secret_hash),
        createdAt: Number(r.created_at),
      }));
    },
    /**
     * Clients known only by their metadata document (an https URL as client_id) that
     * hold a live grant: the document is stored nowhere, so this is where they are known.
     */
    async documentClientIds(): Promise<string[]> {
      return db('grants')
        .distinct('client_id')
        .whereLike('client_id', 'https://%')
        .whereNull('revoked_at')
        .where('expires_at', '>', clock())
        .pluck('client_id');
    },
    async find(clientId: string): Promise<ClientRecord | undefined> {
      const r = await db('clients').where({ client_id: clientId }).first();
      if (!r) return undefined;
      return {
        clientId: r.client_id,
        metadata: JSON.parse(r.metadata),
        confidential: Boolean(r.secret_hash),
        createdAt: Number(r.created_at),
      };
    },
  };
}

export type ClientStore = ReturnType<typeof createClientStore>;
