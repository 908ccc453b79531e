import { expect } from 'chai';
import { createBudgetStore } from '../../../src/storage/budget-store.ts';
import { NO_LIMITS } from '../../../src/storage/grant-limits.ts';
import { createGrantStore } from '../../../src/storage/grant-store.ts';
import { createRevocationStore } from '../../../src/storage/revocation-store.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../support/databases.ts';

const note = { clientId: 'c', accountId: 'a', provider: 'openai', model: 'gpt-4o-mini', capability: 'chat' };
const slice = (requests: number, tokens: number) => () => ({
  ok: true as const,
  amounts: { requests, tokens, microUsd: 0 },
  sized: null,
});

/*
 * The storage side of leases: a slice is one reservation row of several requests, taken
 * on the grant's counters and every ancestor's; moving it settles what was used and keeps
 * what it still holds, exactly, even when what was used passes what it held.
 */
for (const engine of engines) {
  describe(`lease rows (${engine})`, () => {
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
        limits: { ...NO_LIMITS, maxRequests: 10, maxTokens: 1000 },
      });
      await grants.record({
        ...base,
        id: 'kid',
        child: { parentGrantId: 'root', depth: 1, act: { sub: 'k' } },
      });
      await grants.record({ ...base, id: 'paced', limits: { ...NO_LIMITS, requestsPerMinute: 100 } });
    });
    after(() => t.drop());

    /** Each grant's whole-grant counters: [requests, tokens, open requests, open tokens]. */
    const counters = async () => {
      const rows = await t.db('grant_counters').where({ scope: '*' });
      return Object.fromEntries(
        rows.map((r) => [
          r.grant_id,
          [Number(r.requests), Number(r.tokens), Number(r.open_requests), Number(r.open_tokens)],
        ]),
      );
    };

    it('takes a slice on the chain, refuses one past a cap, moves and closes it exactly', async () => {
      const budgets = createBudgetStore(t.db, Date.now);
      await budgets.beat('p', 60_000);
      const take = (id: string, requests: number, tokens: number) =>
        budgets.reserve({
          id,
          grantId: 'kid',
          provider: 'openai',
          proxyId: 'p',
          note,
          lease: true,
          size: slice(requests, tokens),
        });
      const taken = await take('lease-1', 4, 400);
      expect(taken.ok && taken.reservation).to.deep.include({ requests: 4, tokens: 400 });
      expect(taken.ok && taken.ancestors).to.deep.equal(['root']);
      expect(await counters()).to.deep.include({ root: [4, 400, 4, 400], kid: [4, 400, 4, 400] });
      // The root's 10 requests hold: 4 + 7 would pass them.
      const refused = await take('lease-2', 7, 10);
      expect(refused.ok).to.equal(false);

      // Two requests used 150 tokens; in flight and free: 1 request, 100 tokens.
      const used = { requests: 2, tokens: 150, microUsd: 0 };
      expect(await budgets.moveLease('lease-1', used, { requests: 1, tokens: 100, microUsd: 0 })).to.equal(
        true,
      );
      expect(await counters()).to.deep.include({ root: [3, 250, 1, 100], kid: [3, 250, 1, 100] });
      expect(await t.db('reservations').where({ id: 'lease-1' }).first()).to.deep.include({
        requests: 1,
        tokens: 100,
      });
      // One more used 180 tokens, more than the 100 held: the totals take the excess.
      expect(await budgets.moveLease('lease-1', { requests: 1, tokens: 180, microUsd: 0 }, null)).to.equal(
        true,
      );
      expect(await counters()).to.deep.include({ root: [3, 330, 0, 0], kid: [3, 330, 0, 0] });
      expect(await t.db('reservations').where({ id: 'lease-1' })).to.have.length(0);
      // Gone: the move says so and changes nothing.
      expect(await budgets.moveLease('lease-1', used, null)).to.equal(false);
      expect(await counters()).to.deep.include({ root: [3, 330, 0, 0] });
    });

    it('a crashed proxy’s slice is reaped at what it holds, on every grant of the chain', async () => {
      const budgets = createBudgetStore(t.db, Date.now);
      const before = await counters();
      const taken = await budgets.reserve({
        id: 'lease-dead',
        grantId: 'kid',
        provider: 'openai',
        proxyId: 'dead',
        note: { ...note, lease: true },
        lease: true,
        size: slice(3, 30),
      });
      expect(taken.ok).to.equal(true);
      const reaped = await budgets.reap();
      expect(reaped.map((r) => [r.id, r.requests, r.tokens])).to.deep.equal([['lease-dead', 3, 30]]);
      expect(reaped[0]?.note?.lease).to.equal(true);
      const [r, tk] = before.root as number[];
      expect(await counters()).to.deep.include({ root: [(r as number) + 3, (tk as number) + 30, 0, 0] });
    });

    it('no slice of a grant with a per-minute limit: each admission is timed', async () => {
      const budgets = createBudgetStore(t.db, Date.now);
      const taken = await budgets.reserve({
        id: 'lease-paced',
        grantId: 'paced',
        provider: 'openai',
        proxyId: 'p',
        note,
        lease: true,
        size: slice(5, 0),
      });
      expect(taken).to.deep.include({ ok: false, refusal: { kind: 'no_slice' } });
      expect(await t.db('rate_admissions').where({ grant_id: 'paced' })).to.have.length(0);
      expect(await t.db('reservations').where({ grant_id: 'paced' })).to.have.length(0);
    });

    it('reclaiming asks the other proxies only when they hold slices of the grant', async () => {
      const budgets = createBudgetStore(t.db, Date.now);
      await budgets.beat('q', 60_000);
      expect(await budgets.reclaimLeases('root', 'q')).to.equal(false);
      const taken = await budgets.reserve({
        id: 'lease-q',
        grantId: 'root',
        provider: 'openai',
        proxyId: 'q',
        note,
        lease: true,
        size: slice(1, 10),
      });
      expect(taken.ok).to.equal(true);
      expect(await budgets.reclaimLeases('root', 'q'), 'its own slice').to.equal(false);
      expect(await budgets.reclaimLeases('root', 'other')).to.equal(true);
      const logged = await t.db('revocations').where({ grant_id: 'root', reason: 'leases_reclaimed' });
      expect(logged.map((e) => e.kind)).to.deep.equal(['limits']);
    });
  });
}
