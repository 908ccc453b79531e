import type { Knex } from 'knex';

/*
 * Why: the operator's pages (/operator: every app, person, grant and the audit trail of
 * the install, and disabling an app) are for the people who run Mandate, not for everyone
 * who signs in. `mandate user add --operator` and `mandate user operator NAME on|off` set
 * this flag; nothing in the browser can.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('accounts', (t) => {
    t.boolean('operator').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  // Plain DROP COLUMN (SQLite 3.35+ has it): knex's SQLite dropColumn rebuilds the table,
  // which the foreign keys pointing at accounts forbid.
  await knex.raw('alter table accounts drop column operator');
}
