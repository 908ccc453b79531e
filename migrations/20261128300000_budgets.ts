import type { Knex } from 'knex';

/*
 * Why: caps on a grant must hold under any concurrency and across proxy processes, so
 * every request of a limited grant reserves its worst case before it is forwarded and
 * settles to what it really cost afterwards.
 *
 * - grant_counters: per grant and period ('lifetime' or a UTC month 'YYYY-MM'), what is
 *   charged against the caps: settled usage plus every open reservation. A reservation
 *   is admitted only while the counters plus it stay within every cap, under a row lock.
 * - reservations: the open ones, each owned by a proxy process; settled or released
 *   when the answer ends, or by the reaper once their proxy stopped beating.
 * - rate_admissions: when each request of a grant with a per-minute limit was admitted,
 *   kept for a minute (sliding window).
 * - proxy_heartbeats: each proxy process says it is alive, and until when; reservations
 *   of a process past that are settled at their reserved amount (the upstream may have billed
 *   them in full: a cap is never overrun, and the budget is not held forever).
 * - usage_records.cost_micro_usd: what the request cost by the price table.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('grant_counters', (t) => {
    t.string('grant_id', 255).notNullable();
    t.string('period', 16).notNullable();
    t.bigInteger('requests').notNullable().defaultTo(0);
    t.bigInteger('tokens').notNullable().defaultTo(0);
    t.bigInteger('micro_usd').notNullable().defaultTo(0);
    t.primary(['grant_id', 'period']);
  });

  await knex.schema.createTable('reservations', (t) => {
    t.string('id', 64).primary();
    t.string('grant_id', 255).notNullable();
    t.string('period', 16).notNullable();
    t.bigInteger('requests').notNullable();
    t.bigInteger('tokens').notNullable();
    t.bigInteger('micro_usd').notNullable();
    t.string('proxy_id', 64).notNullable();
    t.bigInteger('created_at').notNullable();
    t.text('record');
    t.index(['proxy_id']);
    t.index(['grant_id']);
  });

  await knex.schema.createTable('rate_admissions', (t) => {
    t.string('id', 64).primary();
    t.string('grant_id', 255).notNullable();
    t.bigInteger('admitted_at').notNullable();
    t.index(['grant_id', 'admitted_at']);
  });

  await knex.schema.createTable('proxy_heartbeats', (t) => {
    t.string('proxy_id', 64).primary();
    t.bigInteger('seen_at').notNullable();
    /** Until when the proxy counts as alive without beating again (its own reap delay). */
    t.bigInteger('alive_until').notNullable();
  });

  await knex.schema.alterTable('usage_records', (t) => {
    t.bigInteger('cost_micro_usd');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('usage_records', (t) => {
    t.dropColumn('cost_micro_usd');
  });
  for (const table of ['proxy_heartbeats', 'rate_admissions', 'reservations', 'grant_counters'])
    await knex.schema.dropTableIfExists(table);
}
