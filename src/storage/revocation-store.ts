import type { Knex } from 'knex';
import type { Clock } from './clock.ts';
import type { Database } from './create-database.ts';
import { appendGrantEvent, type GrantEventDetail } from './grant-event-store.ts';

export const REVOCATION_CHANNEL = 'mandate_revocations';
/** Advisory lock key that orders revocation log appends on PostgreSQL. */
const REVOCATION_LOCK = 7_241_009_001;

export type RevocationReason =
  | 'refresh_token_revoked'
  | 'code_reuse'
  | 'refresh_token_reuse'
  | 'account_page'
  | 'cli'
  | 'expired'
  | 'access_token_revoked'
  /** The person authorized the app again: a new grant replaces this one. */
  | 'reauthorized'
  /** The app deleted its own registration (RFC 7592): its grants end with it. */
  | 'client_deleted'
  /** The operator disabled the app on the operator's pages: its grants end with it. */
  | 'client_disabled'
  /** Token exchange: the grant this child was carved from was revoked, so the child ends with it. */
  | 'parent_revoked'
  | 'other';

/** Log entries that are not revocations: a grant's limits changed (proxies reload them). */
export type GrantChangeReason =
  | 'limits_lowered'
  | 'limits_raised'
  /** A proxy found the grant's room held by other proxies' leases: they return their slices. */
  | 'leases_reclaimed';

export interface RevocationEntry {
  seq: number;
  /** `limits`: the grant is still live, but its limits changed. */
  kind: 'grant' | 'token' | 'limits';
  subjectId: string;
  grantId: string | null;
  reason: string;
  createdAt: number;
}

/**
 * The durable record of revocations: marks grants and single token ids revoked and
 * appends to the numbered log, in one transaction, so a listener that reconnects can
 * catch up from the last sequence number it saw.
 */
export function createRevocationStore(db: Database, clock: Clock) {
  /**
   * On PostgreSQL every revocation transaction takes one advisory lock first, so
   * sequence numbers commit in order and a follower reading "after seq N" never skips
   * a late commit. SQLite has a single writer already.
   */
  async function serialize(trx: Knex.Transaction) {
    if (db.engine === 'pg') await trx.raw('select pg_advisory_xact_lock(?)', [REVOCATION_LOCK]);
  }

  async function append(
    trx: Knex.Transaction,
    kind: RevocationEntry['kind'],
    subjectId: string,
    grantId: string | null,
    reason: string,
  ) {
    const [row] = await trx('revocations')
      .insert({ kind, subject_id: subjectId, grant_id: grantId, reason, created_at: clock() })
      .returning('seq');
    const seq = typeof row === 'object' ? (row as { seq: number }).seq : (row as number);
    if (db.engine === 'pg') await trx.raw('select pg_notify(?, ?)', [REVOCATION_CHANNEL, String(seq)]);
    return seq;
  }

  /** Marks one grant revoked, deletes its stored tokens, logs it; false if it already was. */
  async function revokeOne(
    trx: Knex.Transaction,
    grantId: string,
    reason: RevocationReason,
    detail?: GrantEventDetail,
  ): Promise<boolean> {
    await trx('oidc_payloads').where({ grant_id: grantId }).delete();
    await trx('oidc_payloads').where({ model: 'Grant', id: grantId }).delete();
    const marked = await trx('grants')
      .where({ id: grantId })
      .whereNull('revoked_at')
      .update({ revoked_at: clock(), revoked_reason: reason });
    if (marked > 0) {
      // The grant's audit trail says how it ended, in the same transaction.
      const grant = await trx('grants').where({ id: grantId }).first('account_id', 'client_id', 'expires_at');
      await appendGrantEvent(trx, clock, {
        grantId,
        accountId: grant.account_id,
        clientId: grant.client_id,
        ...(reason === 'expired'
          ? { kind: 'expired' as const, detail: { expiresAt: Number(grant.expires_at) } }
          : { kind: 'revoked' as const, detail: { ...detail, reason } }),
      });
    } else {
      // Already revoked, or a grant Mandate never recorded: log the latter once.
      const known = await trx('grants').where({ id: grantId }).first('id');
      const logged = await trx('revocations').where({ kind: 'grant', subject_id: grantId }).first('seq');
      if (known || logged) return false;
    }
    await append(trx, 'grant', grantId, grantId, reason);
    return true;
  }

  return {
    /**
     * Marks the grant revoked, deletes every stored token of it, logs it. Idempotent.
     * `detail` adds to the 'revoked' event of the grant's audit trail (e.g. the grant
     * that replaces it).
     */
    async revokeGrant(
      grantId: string,
      reason: RevocationReason,
      detail?: GrantEventDetail,
    ): Promise<boolean> {
      return db.transaction(async (trx) => {
        await serialize(trx);
        const revoked = await revokeOne(trx, grantId, reason, detail);
        // Token exchange: every child carved from the grant, and theirs, ends with it, in
        // the same transaction, each with its own log entry so every proxy drops it at once.
        if (revoked || (await trx('grants').where({ id: grantId }).first('id'))) {
          let parents = [grantId];
          while (parents.length > 0) {
            const children: string[] = (
              await trx('grants').whereIn('parent_grant_id', parents).whereNull('revoked_at').select('id')
            ).map((r: { id: string }) => r.id);
            for (const child of children) await revokeOne(trx, child, 'parent_revoked', { parent: grantId });
            parents = children;
          }
        }
        return revoked;
      });
    },

    /** Revokes one access token id until it would have expired anyway. Idempotent. */
    async revokeToken(
      jti: string,
      grantId: string | null,
      expiresAt: number,
      reason: RevocationReason,
    ): Promise<boolean> {
      return db.transaction(async (trx) => {
        await serialize(trx);
        const inserted = await trx('revoked_tokens')
          .insert({ jti, grant_id: grantId, expires_at: expiresAt, revoked_at: clock() })
          .onConflict('jti')
          .ignore()
          .returning('jti');
        if (inserted.length === 0) return false;
        await append(trx, 'token', jti, grantId, reason);
        return true;
      });
    },

    /**
     * Logs that a live grant's limits changed, inside the caller's transaction (the one
     * that changed them), so every proxy drops what it remembers of the grant.
     */
    async logGrantChange(trx: Knex.Transaction, grantId: string, reason: GrantChangeReason): Promise<void> {
      await serialize(trx);
      await append(trx, 'limits', grantId, grantId, reason);
    },

    async isTokenRevoked(jti: string): Promise<boolean> {
      const row = await db('revoked_tokens').where({ jti }).first('jti');
      return Boolean(row);
    },

    /** Log entries after `afterSeq`, oldest first. */
    async readLog(afterSeq: number, limit = 1000): Promise<RevocationEntry[]> {
      const rows = await db('revocations').where('seq', '>', afterSeq).orderBy('seq').limit(limit);
      return rows.map((r) => ({
        seq: Number(r.seq),
        kind: r.kind,
        subjectId: r.subject_id,
        grantId: r.grant_id,
        reason: r.reason,
        createdAt: Number(r.created_at),
      }));
    },

    async lastSeq(): Promise<number> {
      const row = await db('revocations').max({ seq: 'seq' }).first();
      return Number(row?.seq ?? 0);
    },
  };
}

export type RevocationStore = ReturnType<typeof createRevocationStore>;
