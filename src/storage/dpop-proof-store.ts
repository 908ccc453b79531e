import { createHash } from 'node:crypto';
import type { Clock } from './clock.ts';
import type { Database } from './create-database.ts';

/**
 * The DPoP proofs (RFC 9449 §11.1) accepted by any proxy process, so each is used once:
 * `claim` records a proof's key thumbprint and `jti` (hashed) until `expiresAt`, in one
 * insert against the primary key, and says false when it was already there and
 * unexpired: a replay, whichever process saw it first.
 */
export function createDpopProofStore(db: Database, clock: Clock) {
  return {
    async claim(jkt: string, jti: string, expiresAt: number): Promise<boolean> {
      const hash = createHash('sha256').update(`${jkt}\n${jti}`).digest('base64url');
      const result = await db.raw(
        `insert into dpop_proofs (proof_hash, expires_at) values (?, ?)
         on conflict (proof_hash) do update set expires_at = excluded.expires_at
           where dpop_proofs.expires_at <= ?
         returning proof_hash`,
        [hash, expiresAt, clock()],
      );
      const rows = (Array.isArray(result) ? result : result.rows) as unknown[];
      return rows.length === 1;
    },
    /** Drops the proofs whose window is over; returns how many. */
    async purge(): Promise<number> {
      return db('dpop_proofs').where('expires_at', '<=', clock()).delete();
    },
  };
}

export type DpopProofStore = ReturnType<typeof createDpopProofStore>;
