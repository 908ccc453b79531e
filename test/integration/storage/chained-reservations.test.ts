import { expect } from 'chai';
import { createBudgetStore } from '../../../src/storage/budget-store.ts';
import { NO_LIMITS } from '../../../src/storage/grant-limits.ts';
import { createGrantStore } from '../../../src/storage/grant-store.ts';
import { createRevocationStore } from '../../../src/storage/revocation-store.ts';
import { createUsageStore, type UsageRecord } from '../../../src/storage/usage-store.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../support/databases.ts';

const note = { clientId: 'c', accountId: 'a', provider: 'openai', model: 'gpt-4o-mini', capability: 'chat' };
const fixed = (tokens: number) => () => ({
  ok: true as const,
  amounts: { tokens, microUsd: 0 },
  sized: null,
});

/*
 * The storage side of token exchange children: a child's reservation moves its own and
 * every ancestor's counters, and settling, reaping and uncapped usage records move them
 * all back exactly.
 */
for (const engine of engines) {
  describe(`the ledger of a chain of token exchange grants (${engine})`, () => {
    let t: TestDatabase;
    const later = Date.now() + 3600_000;
    before(async () => {
      t = await createTestDatabase(engine);
      await t
        .db('accounts')
        .insert({ id: 'a', username: 'ada', password_hash: 'x', created_at: 0, updated_at: 0 });
      const grants = createGrantStore(t.db, Date.now, createRevocationStore(t.db, Date.now));
      const base = { accountId: 'a', clientId: 'c', scopes: ['openai:*:chat'], expiresAt: later };
      await grants.record({
        ...base,
        id: 'root',
        limits: { ...NO_LIMITS, maxTokens: 1000, limitPeriod: 'month' },
      });
      await grants.record({
        ...base,
        id: 'kid',
        limits: { ...NO_LIMITS, maxTokens: 600 },
        child: { parentGrantId: 'root', depth: 1, act: { sub: 'k' } },
      });
      await grants.record({
        ...base,
        id: 'grandkid',
        child: { parentGrantId: 'kid', depth: 2, act: { sub: 'g', act: { sub: 'k' } } },
      });
      expect(
        await grants.record({
          ...base,
          id: 'orphan',
          child: { parentGrantId: 'nobody', depth: 1, act: { sub: 'o' } },
        }),
        'no child of a grant that is not live',
      ).to.equal(false);
    });
    after(() => t.drop());

    const totals = async () => {
      const rows = await t
        .db('grant_counters')
        .where({ scope: '*' })
        .select('grant_id', 'tokens', 'open_tokens');
      return Object.fromEntries(rows.map((r) => [r.grant_id, [Number(r.tokens), Number(r.open_tokens)]]));
    };

    it('reserves on every grant of the chain, refuses past any ancestor cap, and settles and reaps all of them', async () => {
      const budgets = createBudgetStore(t.db, Date.now);
      const take = (id: string, tokens: number, proxyId = 'live') =>
        budgets.reserve({ id, grantId: 'grandkid', provider: 'openai', proxyId, note, size: fixed(tokens) });
      await budgets.beat('live', 60_000);
      expect((await take('r1', 500)).ok).to.equal(true);
      expect(await totals()).to.deep.include({ root: [500, 500], kid: [500, 500], grandkid: [500, 500] });
      // The kid's 600 holds: 500 + 200 would pass it, though the root has room.
      const refused = await take('r2', 200);
      expect(refused.ok).to.equal(false);
      expect(await budgets.settle('r1', { requests: 1, tokens: 120, microUsd: 0 })).to.equal(true);
      expect(await totals()).to.deep.include({ root: [120, 0], kid: [120, 0], grandkid: [120, 0] });
      // A reservation of a proxy that died is reaped at its worst case, on every grant.
      expect((await take('r3', 300, 'dead')).ok).to.equal(true);
      const reaped = await budgets.reap();
      expect(reaped.map((r) => r.id)).to.deep.equal(['r3']);
      expect(await totals()).to.deep.include({ root: [420, 0], kid: [420, 0], grandkid: [420, 0] });
    });

    it("charges a child's unreserved usage record to every ancestor too", async () => {
      const before = await totals();
      const record: UsageRecord = {
        id: 'u1',
        grantId: 'grandkid',
        clientId: 'c',
        accountId: 'a',
        provider: 'openai',
        model: 'gpt-4o-mini',
        capability: 'chat',
        inputTokens: 7,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 3,
        reasoningTokens: 0,
        costMicroUsd: 1,
        status: 200,
        upstreamMs: 1,
        createdAt: Date.now(),
        clientAborted: false,
        upstreamFailed: false,
        ledger: { reserved: false, requests: 1, tokens: 10, microUsd: 1 },
      };
      await createUsageStore(t.db).insertMany([record]);
      const after = await totals();
      for (const id of ['root', 'kid', 'grandkid'])
        expect(after[id]?.[0], id).to.equal((before[id]?.[0] ?? 0) + 10);
    });
  });
}
