import type { Knex } from 'knex';

/*
 * Why: token exchange (RFC 8693) lets an app hand a sub-agent a child token with a
 * subset of its scopes and a slice of its budget. The child is a grant of its own (its
 * own caps, counters, usage and revocation), chained to the grant it came from:
 *
 * - grants.parent_grant_id: the grant the child was carved from (null for a grant the
 *   person approved); grants.depth: 0 for those, parent's depth + 1 for a child;
 *   grants.act: the RFC 8693 `act` claim of the child's tokens (JSON), for introspection
 *   and the person's app page.
 * - reservations.ancestors: for a child's request, the counter rows of every ancestor
 *   it was also reserved on (JSON [[grant_id, period], ...]), so settling and reaping
 *   move them too; null for a grant without a parent.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('grants', (t) => {
    t.string('parent_grant_id', 255).nullable();
    t.integer('depth').notNullable().defaultTo(0);
    t.text('act').nullable();
    t.index(['parent_grant_id']);
  });
  await knex.schema.alterTable('reservations', (t) => {
    t.text('ancestors').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('reservations', (t) => {
    t.dropColumn('ancestors');
  });
  await knex.schema.alterTable('grants', (t) => {
    t.dropIndex(['parent_grant_id']);
  });
  await knex.schema.alterTable('grants', (t) => {
    t.dropColumn('act');
    t.dropColumn('depth');
    t.dropColumn('parent_grant_id');
  });
}
