import type { Knex } from 'knex';

/*
 * Why: the person's audit trail of each grant (approved, narrowed, re-authorized,
 * revoked, expired, cap reached) must be something they can trust, so the application
 * only ever appends to it and the database itself refuses to change it: a trigger
 * rejects UPDATE and DELETE (and TRUNCATE on PostgreSQL) of any row. No foreign keys:
 * events outlive their grant, and appends stay cheap. `detail` is JSON.
 */
const PG_FUNCTION = 'grant_events_append_only';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('grant_events', (t) => {
    t.bigIncrements('seq').primary();
    t.string('grant_id', 255).notNullable();
    t.string('account_id', 64).notNullable();
    t.string('client_id', 255).notNullable();
    t.string('kind', 32).notNullable();
    t.text('detail').notNullable();
    t.bigInteger('created_at').notNullable();
    t.index(['grant_id', 'seq']);
    t.index(['account_id', 'seq']);
  });

  if (knex.client.config.client === 'pg') {
    await knex.raw(`create function ${PG_FUNCTION}() returns trigger language plpgsql as $$
begin
  raise exception 'grant_events is append-only: % refused', tg_op;
end
$$`);
    await knex.raw(`create trigger grant_events_no_change before update or delete on grant_events
for each row execute function ${PG_FUNCTION}()`);
    await knex.raw(`create trigger grant_events_no_truncate before truncate on grant_events
for each statement execute function ${PG_FUNCTION}()`);
  } else {
    for (const op of ['update', 'delete']) {
      await knex.raw(`create trigger grant_events_no_${op} before ${op} on grant_events
begin
  select raise(abort, 'grant_events is append-only: ${op.toUpperCase()} refused');
end`);
    }
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('grant_events');
  if (knex.client.config.client === 'pg') await knex.raw(`drop function if exists ${PG_FUNCTION}()`);
}
