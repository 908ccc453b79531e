import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import { hashClientSecret, isClientSecretHash } from '../shared/client-secret.ts';
import type { Clock } from './clock.ts';
import type { Database } from './create-database.ts';
import type { RevocationReason, RevocationStore } from './revocation-store.ts';

export interface OidcAdapterDeps {
  db: Database;
  clock: Clock;
  revocations: RevocationStore;
  /** Why a grant is being destroyed right now (read from the request in flight). */
  grantRevocationReason: () => RevocationReason;
}

/**
 * oidc-provider's storage contract on knex. Every model lives in one payload table,
 * except clients, which have their own table with hashed secrets. Destroying a Grant
 * is where oidc-provider revokes one, so that is where the durable revocation mark
 * and the log entry are written, in the same transaction.
 */
export function createOidcAdapterFactory({ db, clock, revocations, grantRevocationReason }: OidcAdapterDeps) {
  const live = (q: ReturnType<typeof db>) =>
    q.where((w) => w.whereNull('expires_at').orWhere('expires_at', '>', clock()));

  const toPayload = (row: { payload: string; consumed_at: number | null } | undefined) => {
    if (!row) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    return row.consumed_at ? { ...payload, consumed: Math.floor(Number(row.consumed_at) / 1000) } : payload;
  };

  /**
   * Clients made with `mandate client add` and by dynamic registration (RFC 7591/7592)
   * share the `clients` table. A secret is stored only as its hash: oidc-provider hands a
   * new one over in plain text once (hashed here), and a stored hash back unchanged on
   * update. Deleting a client ends its grants, so no token of it outlives it.
   */
  function clientAdapter(): Adapter {
    const unsupported = async () => {
      throw new Error('not supported for clients');
    };
    return {
      async find(id) {
        const row = await db('clients').where({ client_id: id }).first();
        if (!row) return undefined;
        const metadata = JSON.parse(row.metadata) as AdapterPayload;
        return row.secret_hash ? { ...metadata, client_secret: row.secret_hash } : metadata;
      },
      async upsert(id, payload) {
        const { client_secret: secret, ...metadata } = payload as AdapterPayload & {
          client_secret?: unknown;
        };
        const secretHash =
          typeof secret !== 'string' || secret === ''
            ? null
            : isClientSecretHash(secret)
              ? secret
              : hashClientSecret(secret);
        await db('clients')
          .insert({
            client_id: id,
            metadata: JSON.stringify(metadata),
            secret_hash: secretHash,
            created_at: clock(),
          })
          .onConflict('client_id')
          .merge(['metadata', 'secret_hash']);
      },
      async destroy(id) {
        const live = await db('grants')
          .where({ client_id: id })
          .whereNull('revoked_at')
          .where('expires_at', '>', clock())
          .pluck('id');
        for (const grantId of live) await revocations.revokeGrant(grantId, 'client_deleted');
        await db('clients').where({ client_id: id }).delete();
      },
      findByUid: unsupported,
      findByUserCode: unsupported,
      consume: unsupported,
      revokeByGrantId: unsupported,
    };
  }

  function payloadAdapter(model: string): Adapter {
    return {
      async upsert(id, payload, expiresIn) {
        const row = {
          model,
          id,
          payload: JSON.stringify(payload),
          grant_id: payload.grantId ?? null,
          uid: payload.uid ?? null,
          user_code: payload.userCode ?? null,
          expires_at:
            typeof payload.exp === 'number'
              ? payload.exp * 1000
              : expiresIn
                ? clock() + expiresIn * 1000
                : null,
        };
        await db('oidc_payloads').insert(row).onConflict(['model', 'id']).merge();
      },
      async find(id) {
        // An expired device code is still found, so the polling client is told
        // expired_token (RFC 8628 §3.5) until the purge job removes it.
        const rows = db('oidc_payloads').where({ model, id });
        const found = model === 'DeviceCode' ? rows : live(rows);
        return toPayload(await (found as typeof rows).first('payload', 'consumed_at'));
      },
      async findByUid(uid) {
        return toPayload(
          await live(db('oidc_payloads').where({ model, uid })).first('payload', 'consumed_at'),
        );
      },
      async findByUserCode(userCode) {
        return toPayload(
          await live(db('oidc_payloads').where({ model, user_code: userCode })).first(
            'payload',
            'consumed_at',
          ),
        );
      },
      /**
       * Consuming is a compare-and-set: of two requests redeeming the same code or
       * refresh token at once, only one wins; the other is reuse, which revokes the grant.
       */
      async consume(id) {
        const won = await db('oidc_payloads')
          .where({ model, id })
          .whereNull('consumed_at')
          .update({ consumed_at: clock() });
        if (won > 0) return;
        const row = await db('oidc_payloads').where({ model, id }).first('grant_id');
        if (row?.grant_id) {
          await revocations.revokeGrant(
            row.grant_id,
            model === 'RefreshToken' ? 'refresh_token_reuse' : 'code_reuse',
          );
        }
        throw new errors.InvalidGrant(`${model === 'RefreshToken' ? 'refresh token' : 'grant'} already used`);
      },
      async destroy(id) {
        if (model === 'Grant') {
          await revocations.revokeGrant(id, grantRevocationReason());
          return;
        }
        await db('oidc_payloads').where({ model, id }).delete();
      },
      async revokeByGrantId(grantId) {
        await db('oidc_payloads').where({ model, grant_id: grantId }).delete();
      },
    };
  }

  return (model: string): Adapter => (model === 'Client' ? clientAdapter() : payloadAdapter(model));
}

/** Deletes expired oidc-provider rows and expired single-token revocations. */
export async function purgeExpired(
  db: Database,
  clock: Clock,
): Promise<{ payloads: number; revokedTokens: number }> {
  const now = clock();
  const payloads = await db('oidc_payloads').where('expires_at', '<=', now).delete();
  const revokedTokens = await db('revoked_tokens').where('expires_at', '<=', now).delete();
  return { payloads, revokedTokens };
}
