import { expect } from 'chai';
import { createStores } from '../../../src/storage/index.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../support/databases.ts';

for (const engine of engines) {
  describe(`grant store (${engine})`, () => {
    let t: TestDatabase;
    let now = 1_800_000_000_000;
    let stores: ReturnType<typeof createStores>;

    before(async () => {
      t = await createTestDatabase(engine);
      stores = createStores(t.db, () => now, { loginWindowMs: 60_000 });
      const alice = await stores.accounts.create('alice', 'x');
      await stores.grants.record({
        id: 'g-short',
        accountId: alice.id,
        clientId: 'c',
        scopes: ['openai:*:chat'],
        expiresAt: now + 1000,
      });
      await stores.grants.record({
        id: 'g-long',
        accountId: alice.id,
        clientId: 'c',
        scopes: ['anthropic:*:chat'],
        expiresAt: now + 1e9,
      });
    });
    after(() => t.drop());

    it('a grant is live until its expiry, then the purge logs it as expired, once', async () => {
      expect(await stores.grants.isLive('g-short')).to.equal(true);
      now += 1000;
      expect(await stores.grants.isLive('g-short')).to.equal(false);
      expect(
        (
          await stores.grants.listLiveForAccount(
            (
              await stores.accounts.findByUsername('alice')
            )?.id as string,
          )
        ).map((g) => g.id),
      ).to.deep.equal(['g-long']);
      expect(await stores.grants.revokeExpired()).to.equal(1);
      expect(await stores.grants.revokeExpired()).to.equal(0);
      const log = await stores.revocations.readLog(0);
      expect(log.map((e) => [e.subjectId, e.reason])).to.deep.equal([['g-short', 'expired']]);
      expect((await stores.grants.find('g-short'))?.revokedReason).to.equal('expired');
    });

    it('revoking is idempotent and logged once; revoking an unknown grant id is logged once too', async () => {
      expect(await stores.revocations.revokeGrant('g-long', 'cli')).to.equal(true);
      expect(await stores.revocations.revokeGrant('g-long', 'account_page')).to.equal(false);
      expect(await stores.revocations.revokeGrant('oidc-only', 'other')).to.equal(true);
      expect(await stores.revocations.revokeGrant('oidc-only', 'other')).to.equal(false);
      const log = await stores.revocations.readLog(0);
      expect(log.filter((e) => e.subjectId === 'g-long').map((e) => e.reason)).to.deep.equal(['cli']);
      expect(log.filter((e) => e.subjectId === 'oidc-only')).to.have.length(1);
      expect(await stores.grants.isLive('g-long')).to.equal(false);
    });

    it('concurrent revocations of one grant append exactly one entry, in sequence order', async () => {
      const alice = await stores.accounts.findByUsername('alice');
      await stores.grants.record({
        id: 'g-race',
        accountId: alice?.id as string,
        clientId: 'c',
        scopes: ['openai:*:chat'],
        expiresAt: now + 1e9,
      });
      const results = await Promise.all(
        Array.from({ length: 8 }, () => stores.revocations.revokeGrant('g-race', 'cli')),
      );
      expect(results.filter(Boolean)).to.have.length(1);
      const seqs = (await stores.revocations.readLog(0)).map((e) => e.seq);
      expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
      expect((await stores.revocations.readLog(0)).filter((e) => e.subjectId === 'g-race')).to.have.length(1);
    });
  });
}
