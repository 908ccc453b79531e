import { expect } from 'chai';
import { createDpopProofStore } from '../../../src/storage/dpop-proof-store.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../support/databases.ts';

for (const engine of engines) {
  describe(`DPoP proof store: each proof once (${engine})`, () => {
    let t: TestDatabase;
    let now = 1_800_000_000_000;
    before(async () => {
      t = await createTestDatabase(engine);
    });
    after(() => t.drop());

    it('a second claim of the same proof is refused; another key or jti is not', async () => {
      const a = createDpopProofStore(t.db, () => now);
      expect(await a.claim('jkt-1', 'jti-1', now + 60_000)).to.equal(true);
      expect(await a.claim('jkt-1', 'jti-1', now + 60_000)).to.equal(false);
      expect(await a.claim('jkt-2', 'jti-1', now + 60_000)).to.equal(true);
      expect(await a.claim('jkt-1', 'jti-2', now + 60_000)).to.equal(true);
    });

    it('a burst of the same proof: exactly one claim wins', async () => {
      const store = createDpopProofStore(t.db, () => now);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => store.claim('jkt-burst', 'jti-burst', now + 60_000)),
      );
      expect(results.filter(Boolean)).to.have.length(1);
    });

    it('expired rows are purged, and an expired one left behind may be claimed again', async () => {
      const store = createDpopProofStore(t.db, () => now);
      expect(await store.claim('jkt-old', 'jti-old', now + 1000)).to.equal(true);
      now += 2000;
      expect(await store.claim('jkt-old', 'jti-old', now + 1000)).to.equal(true);
      expect(await store.claim('jkt-old', 'jti-old', now + 1000)).to.equal(false);
      now += 2000;
      expect(await store.purge()).to.be.at.least(1);
      const left = await t.db('dpop_proofs').where('expires_at', '<=', now).count({ n: '*' });
      expect(Number(left[0]?.n)).to.equal(0);
    });
  });
}
