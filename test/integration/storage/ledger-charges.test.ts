import { expect } from 'chai';
import { createBudgetStore } from '../../../src/storage/budget-store.ts';
import { createGrantStore } from '../../../src/storage/grant-store.ts';
import { createRevocationStore } from '../../../src/storage/revocation-store.ts';
import { createUsageStore, type UsageRecord } from '../../../src/storage/usage-store.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../support/databases.ts';

const record = (id: string, over: Partial<UsageRecord> = {}): UsageRecord => ({
  id,
  grantId: 'g',
  clientId: 'c',
  accountId: 'a',
  provider: 'openai',
  model: 'gpt-4o-mini',
  capability: 'chat',
  inputTokens: 10,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 5,
  reasoningTokens: 0,
  costMicroUsd: 100,
  status: 200,
  upstreamMs: 1,
  createdAt: Date.UTC(2026, 11, 3),
  clientAborted: false,
  upstreamFailed: false,
  ...over,
});

for (const engine of engines) {
  describe(`the ledger: usage records of requests without a reservation are charged once (${engine})`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await createTestDatabase(engine);
      await t
        .db('accounts')
        .insert({ id: 'a', username: 'ada', password_hash: 'x', created_at: 0, updated_at: 0 });
      const grants = createGrantStore(t.db, Date.now, createRevocationStore(t.db, Date.now));
      await grants.record({
        id: 'g',
        accountId: 'a',
        clientId: 'c',
        scopes: ['openai:*:chat'],
        expiresAt: Date.now() + 3600_000,
      });
      await grants.record({
        id: 'm',
        accountId: 'a',
        clientId: 'c',
        scopes: ['openai:*:chat'],
        expiresAt: Date.now() + 3600_000,
        limits: {
          maxRequests: null,
          maxTokens: null,
          maxSpendMicroUsd: null,
          requestsPerMinute: null,
          limitPeriod: 'month',
        },
      });
    });
    after(() => t.drop());

    it('charges both scopes, skips what a reservation counted, and a retried batch counts nothing twice', async () => {
      const usage = createUsageStore(t.db);
      const batch = [
        record('r1'),
        record('r2', {
          provider: 'anthropic',
          ledger: { reserved: false, requests: 1, tokens: 20, microUsd: 7 },
        }),
        // Counted by its reservation already.
        record('r3', { ledger: { reserved: true, requests: 1, tokens: 999, microUsd: 999 } }),
        // A 5xx without usage: no request.
        record('r4', { status: 502, inputTokens: 0, outputTokens: 0, costMicroUsd: 0 }),
        // A monthly grant counts in the record's month.
        record('r5', { grantId: 'm', createdAt: Date.UTC(2026, 10, 30, 23, 59) }),
      ];
      await usage.insertMany(batch);
      await usage.insertMany(batch);
      const ledger = await createBudgetStore(t.db, Date.now).ledger(['g', 'm']);
      const figures = (id: string) =>
        (ledger.get(id) ?? []).map((e) => ({
          scope: e.scope,
          period: e.period,
          ...e.charged,
          open: e.open.requests,
        }));
      expect(figures('g')).to.deep.equal([
        { scope: '*', period: 'lifetime', requests: 2, tokens: 35, microUsd: 107, open: 0 },
        { scope: 'anthropic', period: 'lifetime', requests: 1, tokens: 20, microUsd: 7, open: 0 },
        { scope: 'openai', period: 'lifetime', requests: 1, tokens: 15, microUsd: 100, open: 0 },
      ]);
      expect(figures('m')).to.deep.equal([
        { scope: '*', period: '2026-11', requests: 1, tokens: 15, microUsd: 100, open: 0 },
        { scope: 'openai', period: '2026-11', requests: 1, tokens: 15, microUsd: 100, open: 0 },
      ]);
      expect(await usage.forGrant('g')).to.have.length(4);
    });
  });
}
