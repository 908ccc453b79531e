import type { Knex } from 'knex';

/*
 * Why: people store one API key per provider. The authorization server encrypts each
 * key to the proxy's public key (JWE, ECDH-ES + A256GCM) before it reaches this table,
 * so the AS can write a key but never read one back; only proxy processes hold the
 * private key. `kid` names the proxy key it was wrapped to, so rotation can re-wrap
 * without downtime; `last4` is the only part ever shown.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('provider_keys', (t) => {
    t.string('account_id', 64).notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('provider', 32).notNullable();
    t.text('ciphertext').notNullable();
    t.string('kid', 255).notNullable();
    t.string('last4', 4).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.primary(['account_id', 'provider']);
    t.index(['kid']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('provider_keys');
}
