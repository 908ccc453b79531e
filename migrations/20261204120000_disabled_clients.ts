import type { Knex } from 'knex';

/*
 * Why: an operator must be able to stop an app at once (one that misbehaves, or that
 * registered itself and should not have), whatever way it came to be: registered with
 * the CLI, by RFC 7591, or known only by its metadata document, which is stored nowhere.
 * So the mark is its own table keyed by client_id, not a column of `clients`. A client
 * listed here is "not found" to oidc-provider (src/as/provider/internals.ts); enabling
 * it again deletes the row.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('disabled_clients', (t) => {
    t.string('client_id', 255).primary();
    t.bigInteger('disabled_at').notNullable();
    // The operator who disabled it (an account id); null if that account is gone.
    t.string('disabled_by').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('disabled_clients');
}
