import type { Knex } from 'knex';

/*
 * Why: a DPoP proof (RFC 9449) may be used once. Every proxy process records the proofs
 * it accepts here, keyed by the SHA-256 of the proof's key thumbprint and `jti`, so one
 * insert against the primary key refuses a replay to any other process. A row is
 * needed only while its proof's `iat` is inside the window; the purge drops it after.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('dpop_proofs', (t) => {
    t.string('proof_hash', 64).primary();
    t.bigInteger('expires_at').notNullable();
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('dpop_proofs');
}
