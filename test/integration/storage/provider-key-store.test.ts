import { expect } from 'chai';
import { createStores } from '../../../src/storage/index.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../support/databases.ts';

for (const engine of engines) {
  describe(`provider key store (${engine})`, () => {
    let t: TestDatabase;
    let now = 1_800_000_000_000;
    let stores: ReturnType<typeof createStores>;
    let alice: string;
    let bob: string;

    before(async () => {
      t = await createTestDatabase(engine);
      stores = createStores(t.db, () => now, { loginWindowMs: 60_000 });
      alice = (await stores.accounts.create('alice', 'x')).id;
      bob = (await stores.accounts.create('bob', 'x')).id;
    });
    after(() => t.drop());

    it('adds, then replaces, one key per account and provider; listings never carry the ciphertext', async () => {
      const keys = stores.providerKeys;
      expect(await keys.set(alice, 'openai', { ciphertext: 'jwe-1', kid: 'k1', last4: 'aaaa' })).to.equal(
        'added',
      );
      now += 1000;
      expect(await keys.set(alice, 'openai', { ciphertext: 'jwe-2', kid: 'k1', last4: 'bbbb' })).to.equal(
        'replaced',
      );
      expect(await keys.set(alice, 'anthropic', { ciphertext: 'jwe-3', kid: 'k1', last4: 'cccc' })).to.equal(
        'added',
      );
      expect(await keys.get(alice, 'openai')).to.deep.equal({
        accountId: alice,
        provider: 'openai',
        ciphertext: 'jwe-2',
        kid: 'k1',
        last4: 'bbbb',
        createdAt: now - 1000,
        updatedAt: now,
      });
      expect(await keys.get(bob, 'openai')).to.equal(undefined);
      const listing = await keys.listForAccount(alice);
      expect(listing).to.deep.equal([
        { provider: 'anthropic', last4: 'cccc', updatedAt: now },
        { provider: 'openai', last4: 'bbbb', updatedAt: now },
      ]);
      expect(JSON.stringify(listing)).to.not.include('jwe-');
      expect(await keys.providersFor(alice)).to.deep.equal(['anthropic', 'openai']);
      expect(await keys.providersFor(bob)).to.deep.equal([]);
      expect(await t.db('provider_keys').where({ account_id: alice })).to.have.length(2);
    });

    it('deletes one key, says when there was none, and leaves the others', async () => {
      await stores.providerKeys.set(bob, 'openai', { ciphertext: 'jwe-b', kid: 'k1', last4: 'dddd' });
      expect(await stores.providerKeys.delete(alice, 'anthropic')).to.equal(true);
      expect(await stores.providerKeys.delete(alice, 'anthropic')).to.equal(false);
      expect(await stores.providerKeys.providersFor(alice)).to.deep.equal(['openai']);
      expect(await stores.providerKeys.providersFor(bob)).to.deep.equal(['openai']);
    });

    it('pages through keys not under a kid, and re-wraps only a row that still holds what was read', async () => {
      const keys = stores.providerKeys;
      const carol = (await stores.accounts.create('carol', 'x')).id;
      await keys.set(carol, 'openai', { ciphertext: 'jwe-c1', kid: 'k1', last4: 'eeee' });
      await keys.set(carol, 'anthropic', { ciphertext: 'jwe-c2', kid: 'k2', last4: 'ffff' });
      expect(await keys.countByKid()).to.deep.equal({ k1: 3, k2: 1 });

      const seen: string[] = [];
      let after: { accountId: string; provider: string } | undefined;
      for (;;) {
        const page = await keys.listByKidNot('k2', { ...(after ? { after } : {}), limit: 2 });
        seen.push(...page.map((r) => `${r.accountId}/${r.provider}`));
        const last = page.at(-1);
        if (!last || page.length < 2) break;
        after = { accountId: last.accountId, provider: last.provider };
      }
      expect(seen.sort()).to.deep.equal([`${alice}/openai`, `${bob}/openai`, `${carol}/openai`].sort());

      const row = await keys.get(carol, 'openai');
      const updatedAt = row?.updatedAt;
      now += 5000;
      expect(
        await keys.rewrap(carol, 'openai', { ciphertext: 'jwe-c1' }, { ciphertext: 'jwe-c1b', kid: 'k2' }),
      ).to.equal(true);
      const after1 = await keys.get(carol, 'openai');
      expect(after1).to.include({ ciphertext: 'jwe-c1b', kid: 'k2', last4: 'eeee', updatedAt });
      // The person replaced it meanwhile: the stale re-wrap must not overwrite it.
      await keys.set(bob, 'openai', { ciphertext: 'jwe-b-new', kid: 'k1', last4: 'gggg' });
      expect(
        await keys.rewrap(bob, 'openai', { ciphertext: 'jwe-b' }, { ciphertext: 'stale', kid: 'k2' }),
      ).to.equal(false);
      expect(await keys.get(bob, 'openai')).to.include({ ciphertext: 'jwe-b-new', last4: 'gggg' });
      expect(await keys.countByKid()).to.deep.equal({ k1: 2, k2: 2 });
    });

    it('goes with the account', async () => {
      const dave = (await stores.accounts.create('dave', 'x')).id;
      await stores.providerKeys.set(dave, 'openai', { ciphertext: 'jwe-d', kid: 'k1', last4: 'hhhh' });
      await t.db('accounts').where({ id: dave }).delete();
      expect(await stores.providerKeys.get(dave, 'openai')).to.equal(undefined);
    });
  });
}
