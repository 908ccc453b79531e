import { expect } from 'chai';
import type { Knex } from 'knex';
import { migrations } from '../../../migrations/index.ts';
import { migrateLatest, migrateRollbackAll } from '../../../src/storage/migrate.ts';
import { createTestDatabase, engines } from '../../support/databases.ts';

const BEFORE = '20261203120000_provider_limits';

/** Applies the migrations before the provider limits, as a database of the old shape. */
async function migrateToOldShape(db: Knex): Promise<void> {
  const older = migrations.slice(
    0,
    migrations.findIndex(([name]) => name === BEFORE),
  );
  await db.migrate.latest({
    tableName: 'knex_migrations',
    migrationSource: {
      getMigrations: async () => older.map(([name]) => name),
      getMigrationName: (name: string) => name,
      getMigration: async (name: string) => (older.find(([n]) => n === name) as (typeof older)[number])[1],
    },
  });
}

const usage = (id: string, grantId: string, provider: string, over: Record<string, unknown> = {}) => ({
  id,
  grant_id: grantId,
  client_id: 'c',
  account_id: 'a',
  provider,
  model: 'm',
  capability: 'chat',
  input_tokens: 10,
  cached_input_tokens: 0,
  cache_write_tokens: 0,
  output_tokens: 5,
  reasoning_tokens: 0,
  cost_micro_usd: 100,
  status: 200,
  upstream_ms: 1,
  created_at: Date.UTC(2026, 10, 30),
  client_aborted: false,
  upstream_failed: false,
  ...over,
});

for (const engine of engines) {
  describe(`migration ${BEFORE}: per-provider counters backfilled from history (${engine})`, () => {
    it('sums usage per grant, provider and period, keeps the enforced whole-grant counters and open reservations', async () => {
      const t = await createTestDatabase(engine, { migrate: false });
      try {
        const db = t.db;
        await migrateToOldShape(db);
        const grant = (id: string, limitPeriod: string, maxRequests: number | null) => ({
          id,
          account_id: 'a',
          client_id: 'c',
          scopes: 'openai:*:chat anthropic:*:chat',
          created_at: Date.UTC(2026, 9, 1),
          expires_at: Date.UTC(2030, 0, 1),
          limit_period: limitPeriod,
          max_requests: maxRequests,
        });
        await db('accounts').insert({
          id: 'a',
          username: 'ada',
          password_hash: 'x',
          created_at: 0,
          updated_at: 0,
        });
        await db('grants').insert([grant('uncapped', 'lifetime', null), grant('capped', 'month', 10)]);
        await db('usage_records').insert([
          usage('u1', 'uncapped', 'openai'),
          usage('u2', 'uncapped', 'openai'),
          usage('u3', 'uncapped', 'anthropic', {
            status: 503,
            input_tokens: 0,
            output_tokens: 0,
            cost_micro_usd: 0,
          }),
          usage('u4', 'uncapped', 'anthropic', { status: 0, client_aborted: true, cost_micro_usd: null }),
          usage('c1', 'capped', 'openai', { created_at: Date.UTC(2026, 10, 2) }),
          usage('c2', 'capped', 'anthropic', { created_at: Date.UTC(2026, 9, 15) }),
        ]);
        // What the proxy enforced for the capped grant's November: one settled request and one open.
        await db('grant_counters').insert({
          grant_id: 'capped',
          period: '2026-11',
          requests: 2,
          tokens: 65,
          micro_usd: 300,
        });
        await db('reservations').insert({
          id: 'r1',
          grant_id: 'capped',
          period: '2026-11',
          requests: 1,
          tokens: 50,
          micro_usd: 200,
          proxy_id: 'p',
          created_at: Date.UTC(2026, 10, 3),
          record: JSON.stringify({
            provider: 'openai',
            clientId: 'c',
            accountId: 'a',
            model: 'm',
            capability: 'chat',
          }),
        });

        await migrateLatest(db);

        const rows = await db('grant_counters').orderBy(['grant_id', 'period', 'scope']);
        const counters = rows.map((r) => ({
          grant: r.grant_id,
          scope: r.scope,
          period: r.period,
          requests: Number(r.requests),
          tokens: Number(r.tokens),
          microUsd: Number(r.micro_usd),
          openRequests: Number(r.open_requests),
          openTokens: Number(r.open_tokens),
        }));
        expect(counters).to.deep.equal([
          // October: only history (no counters were kept then for this month's period).
          {
            grant: 'capped',
            scope: '*',
            period: '2026-10',
            requests: 1,
            tokens: 15,
            microUsd: 100,
            openRequests: 0,
            openTokens: 0,
          },
          {
            grant: 'capped',
            scope: 'anthropic',
            period: '2026-10',
            requests: 1,
            tokens: 15,
            microUsd: 100,
            openRequests: 0,
            openTokens: 0,
          },
          // November: the enforced whole-grant counters as they were, the open part said.
          {
            grant: 'capped',
            scope: '*',
            period: '2026-11',
            requests: 2,
            tokens: 65,
            microUsd: 300,
            openRequests: 1,
            openTokens: 50,
          },
          {
            grant: 'capped',
            scope: 'openai',
            period: '2026-11',
            requests: 2,
            tokens: 65,
            microUsd: 300,
            openRequests: 1,
            openTokens: 50,
          },
          // Uncapped: summed from the history; a 503 is no request, an abort charged tokens is one.
          {
            grant: 'uncapped',
            scope: '*',
            period: 'lifetime',
            requests: 3,
            tokens: 45,
            microUsd: 200,
            openRequests: 0,
            openTokens: 0,
          },
          {
            grant: 'uncapped',
            scope: 'anthropic',
            period: 'lifetime',
            requests: 1,
            tokens: 15,
            microUsd: 0,
            openRequests: 0,
            openTokens: 0,
          },
          {
            grant: 'uncapped',
            scope: 'openai',
            period: 'lifetime',
            requests: 2,
            tokens: 30,
            microUsd: 200,
            openRequests: 0,
            openTokens: 0,
          },
        ]);
        expect(await db('reservations').where({ id: 'r1' }).first('provider')).to.deep.equal({
          provider: 'openai',
        });

        // Down keeps the whole-grant counters in the old shape; up again works.
        await migrateRollbackAll(db);
        await migrateLatest(db);
      } finally {
        await t.drop();
      }
    });
  });
}
