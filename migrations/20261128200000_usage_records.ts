import type { Knex } from 'knex';

/*
 * Why: budgets and the account pages need what each request really cost. The proxy
 * writes one row per forwarded request with the token counts the upstream itself
 * reported (input including cache reads and writes, cache reads, cache writes, output
 * including reasoning, reasoning), in batches off the hot path. Rows are looked up by
 * grant over time, hence the (grant_id, created_at) index; no foreign keys, so a row
 * outlives its grant or account and inserts stay cheap.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('usage_records', (t) => {
    t.string('id', 64).primary();
    t.string('grant_id', 255).notNullable();
    t.string('client_id', 255).notNullable();
    t.string('account_id', 64).notNullable();
    t.string('provider', 32).notNullable();
    t.string('model', 255);
    t.string('capability', 64).notNullable();
    t.bigInteger('input_tokens').notNullable().defaultTo(0);
    t.bigInteger('cached_input_tokens').notNullable().defaultTo(0);
    t.bigInteger('cache_write_tokens').notNullable().defaultTo(0);
    t.bigInteger('output_tokens').notNullable().defaultTo(0);
    t.bigInteger('reasoning_tokens').notNullable().defaultTo(0);
    t.integer('status').notNullable();
    t.integer('upstream_ms');
    t.bigInteger('created_at').notNullable();
    t.boolean('client_aborted').notNullable().defaultTo(false);
    t.boolean('upstream_failed').notNullable().defaultTo(false);
    t.index(['grant_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('usage_records');
}
