import type { Knex } from 'knex';

/*
 * Why: the foundation of Mandate's storage, portable across SQLite (embedded default)
 * and PostgreSQL. Times are epoch milliseconds in bigint columns so both engines agree.
 *
 * - oidc_payloads: everything oidc-provider stores (sessions, interactions, codes,
 *   refresh tokens, grants), looked up by id, grant id, uid and user code.
 * - clients: registered OAuth clients; secrets only as hashes.
 * - accounts: people who sign in.
 * - grants: Mandate's own record of what a person granted an app, with the limit
 *   columns later work enforces; outlives oidc-provider's Grant row.
 * - revocations: numbered append-only log that proxies follow and catch up on.
 * - revoked_tokens: single access token ids revoked before they expire.
 * - login_failures: throttling of failed sign-ins per account and per address.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('oidc_payloads', (t) => {
    t.string('model', 64).notNullable();
    t.string('id', 255).notNullable();
    t.text('payload').notNullable();
    t.string('grant_id', 255);
    t.string('uid', 255);
    t.string('user_code', 255);
    t.bigInteger('expires_at');
    t.bigInteger('consumed_at');
    t.primary(['model', 'id']);
    t.index(['grant_id']);
    t.index(['uid']);
    t.index(['user_code']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('clients', (t) => {
    t.string('client_id', 255).primary();
    t.text('metadata').notNullable();
    t.string('secret_hash', 255);
    t.bigInteger('created_at').notNullable();
  });

  await knex.schema.createTable('accounts', (t) => {
    t.string('id', 64).primary();
    t.string('username', 255).notNullable().unique();
    t.string('password_hash', 512).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });

  await knex.schema.createTable('grants', (t) => {
    t.string('id', 255).primary();
    t.string('account_id', 64).notNullable().references('id').inTable('accounts');
    t.string('client_id', 255).notNullable();
    t.text('scopes').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('max_requests');
    t.bigInteger('max_tokens');
    t.bigInteger('max_spend_micro_usd');
    t.string('limit_period', 16).notNullable().defaultTo('lifetime');
    t.integer('requests_per_minute');
    t.bigInteger('revoked_at');
    t.string('revoked_reason', 64);
    t.index(['account_id']);
    t.index(['client_id']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('revocations', (t) => {
    t.bigIncrements('seq').primary();
    t.string('kind', 16).notNullable();
    t.string('subject_id', 255).notNullable();
    t.string('grant_id', 255);
    t.string('reason', 64).notNullable();
    t.bigInteger('created_at').notNullable();
    t.index(['subject_id']);
  });

  await knex.schema.createTable('revoked_tokens', (t) => {
    t.string('jti', 255).primary();
    t.string('grant_id', 255);
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('revoked_at').notNullable();
    t.index(['expires_at']);
  });

  await knex.schema.createTable('login_failures', (t) => {
    t.string('key', 512).primary();
    t.integer('failures').notNullable();
    t.bigInteger('window_started_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'login_failures',
    'revoked_tokens',
    'revocations',
    'grants',
    'accounts',
    'clients',
    'oidc_payloads',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
