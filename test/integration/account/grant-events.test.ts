import { expect } from 'chai';
import { appendGrantEvent, createStores, type Stores } from '../../../src/storage/index.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../support/databases.ts';

const LIMITS = {
  maxRequests: 1000,
  maxTokens: null,
  maxSpendMicroUsd: 5_000_000,
  limitPeriod: 'month' as const,
  requestsPerMinute: 60,
};

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the database to refuse');
}

/*
 * The grants' audit trail: appended where grants are narrowed, revoked and expire (in
 * the same transaction as the change), read by grant and by person, and refused any
 * change by the database itself.
 */
for (const engine of engines) {
  describe(`grant audit trail (${engine})`, () => {
    let t: TestDatabase;
    let stores: Stores;
    let now = 1_800_000_000_000;
    let alice: string;
    let bob: string;

    before(async () => {
      t = await createTestDatabase(engine);
      stores = createStores(t.db, () => now, { loginWindowMs: 60_000 });
      alice = (await stores.accounts.create('alice', 'x')).id;
      bob = (await stores.accounts.create('bob', 'x')).id;
      for (const [id, accountId, ttl] of [
        ['g-1', alice, 1e9],
        ['g-2', alice, 1e9],
        ['g-short', alice, 1000],
        ['g-bob', bob, 1e9],
      ] as const) {
        await stores.grants.record({
          id,
          accountId,
          clientId: 'app_x',
          scopes: ['openai:*:chat'],
          expiresAt: now + ttl,
          limits: LIMITS,
        });
      }
    });
    after(() => t.drop());

    const kinds = async (grantId: string) => (await stores.grantEvents.forGrant(grantId)).map((e) => e.kind);

    it('the database refuses UPDATE and DELETE of any event (and TRUNCATE on PostgreSQL)', async () => {
      await stores.grantEvents.append({
        grantId: 'g-1',
        accountId: alice,
        clientId: 'app_x',
        kind: 'approved',
        detail: { scopes: ['openai:*:chat'], limits: LIMITS },
      });
      const before = await t.db('grant_events').orderBy('seq');
      expect(before).to.have.length(1);

      const update = await rejection(t.db('grant_events').update({ kind: 'revoked' }));
      expect(update.message).to.match(/append-only/);
      const detail = await rejection(
        t.db('grant_events').where({ grant_id: 'g-1' }).update({ detail: '{}' }),
      );
      expect(detail.message).to.match(/append-only/);
      const del = await rejection(t.db('grant_events').where({ grant_id: 'g-1' }).delete());
      expect(del.message).to.match(/append-only/);
      const all = await rejection(t.db('grant_events').delete());
      expect(all.message).to.match(/append-only/);
      if (engine === 'pg') {
        const truncate = await rejection(t.db.raw('truncate grant_events'));
        expect(truncate.message).to.match(/append-only/);
      }
      // Inside a transaction too: the refusal rolls the whole transaction back.
      const inTrx = await rejection(
        t.db.transaction(async (trx) => {
          await appendGrantEvent(trx, () => now, {
            grantId: 'g-1',
            accountId: alice,
            clientId: 'app_x',
            kind: 'cap_reached',
          });
          await trx('grant_events').where({ kind: 'approved' }).delete();
        }),
      );
      expect(inTrx.message).to.match(/append-only/);
      expect(await t.db('grant_events').orderBy('seq')).to.deep.equal(before);
    });

    it('lowering limits appends "narrowed" with old and new values, in its transaction; no change, no event', async () => {
      const lowered = await stores.grants.lowerLimits(
        'g-1',
        { maxRequests: 200, maxTokens: 5000 },
        'account_page',
      );
      expect(lowered.ok).to.equal(true);
      const events = await stores.grantEvents.forGrant('g-1');
      expect(events.map((e) => e.kind)).to.deep.equal(['approved', 'narrowed']);
      expect(events[1]).to.deep.include({
        grantId: 'g-1',
        accountId: alice,
        clientId: 'app_x',
        createdAt: now,
      });
      expect(events[1]?.detail).to.deep.equal({
        from: { maxRequests: 1000, maxTokens: null },
        to: { maxRequests: 200, maxTokens: 5000 },
        by: 'account_page',
      });
      // The same values again, and a refused raise, append nothing.
      expect((await stores.grants.lowerLimits('g-1', { maxRequests: 200 })).ok).to.equal(true);
      expect((await stores.grants.lowerLimits('g-1', { maxRequests: 201 })).ok).to.equal(false);
      expect(await kinds('g-1')).to.deep.equal(['approved', 'narrowed']);
    });

    it('revoking appends "revoked" with the reason, once; a grant Mandate never recorded gets none', async () => {
      now += 10;
      expect(await stores.revocations.revokeGrant('g-2', 'cli')).to.equal(true);
      expect(await stores.revocations.revokeGrant('g-2', 'account_page')).to.equal(false);
      const events = await stores.grantEvents.forGrant('g-2');
      expect(events.map((e) => [e.kind, e.detail, e.createdAt])).to.deep.equal([
        ['revoked', { reason: 'cli' }, now],
      ]);
      expect(await stores.revocations.revokeGrant('never-recorded', 'other')).to.equal(true);
      expect(await kinds('never-recorded')).to.deep.equal([]);
      // A revoked grant's limits cannot change, and nothing is appended.
      expect((await stores.grants.lowerLimits('g-2', { maxRequests: 1 })).ok).to.equal(false);
      expect(await kinds('g-2')).to.deep.equal(['revoked']);
    });

    it('a grant past its expiry appends "expired" when the purge ends it', async () => {
      now += 1000;
      expect(await stores.grants.revokeExpired()).to.equal(1);
      const events = await stores.grantEvents.forGrant('g-short');
      expect(events.map((e) => [e.kind, e.detail])).to.deep.equal([
        ['expired', { expiresAt: 1_800_000_000_000 + 1000 }],
      ]);
    });

    it('other parts may append "reauthorized" and "cap_reached"; unknown kinds are refused', async () => {
      for (const kind of ['reauthorized', 'cap_reached'] as const) {
        await stores.grantEvents.append({
          grantId: 'g-bob',
          accountId: bob,
          clientId: 'app_x',
          kind,
          detail: kind === 'cap_reached' ? { limit: 'max_spend_usd', period: '2027-01' } : {},
        });
      }
      expect(await kinds('g-bob')).to.deep.equal(['reauthorized', 'cap_reached']);
      const bad = await rejection(
        stores.grantEvents.append({
          grantId: 'g-bob',
          accountId: bob,
          clientId: 'app_x',
          kind: 'deleted' as 'revoked',
        }),
      );
      expect(bad.message).to.match(/unknown grant event kind/);
    });

    it('reads one person’s events newest first, never another’s', async () => {
      const mine = await stores.grantEvents.forAccount(alice, 10);
      expect(mine.every((e) => e.accountId === alice)).to.equal(true);
      expect(mine.map((e) => [e.grantId, e.kind])).to.deep.equal([
        ['g-short', 'expired'],
        ['g-2', 'revoked'],
        ['g-1', 'narrowed'],
        ['g-1', 'approved'],
      ]);
      expect(await stores.grantEvents.forAccount(alice, 2)).to.have.length(2);
      expect((await stores.grantEvents.forAccount(bob, 10)).map((e) => e.kind)).to.deep.equal([
        'cap_reached',
        'reauthorized',
      ]);
    });
  });
}
