import { expect } from 'chai';
import { createCappedGrants } from '../../../../src/proxy/limits/capped-grants.ts';

describe('capped grants: which grants need a reservation', () => {
  it('reads a grant once, shares a read in flight, and answers from memory after', async () => {
    let reads = 0;
    const cache = createCappedGrants({
      load: async () => {
        reads++;
        return true;
      },
      clock: () => 0,
    });
    expect(await Promise.all([cache.isCapped('g'), cache.isCapped('g')])).to.deep.equal([true, true]);
    expect(await cache.isCapped('g')).to.equal(true);
    expect(reads).to.equal(1);
  });

  it('reads again after a change of limits, and after maxAgeMs', async () => {
    let capped = false;
    let now = 0;
    const cache = createCappedGrants({ load: async () => capped, clock: () => now, maxAgeMs: 1000 });
    expect(await cache.isCapped('g')).to.equal(false);
    capped = true;
    expect(await cache.isCapped('g')).to.equal(false);
    cache.changed('g');
    expect(await cache.isCapped('g')).to.equal(true);
    capped = false;
    now = 1001;
    expect(await cache.isCapped('g')).to.equal(false);
  });

  it('does not keep a read that a change overtook', async () => {
    let release: (v: boolean) => void = () => {};
    let calls = 0;
    const cache = createCappedGrants({
      load: () => {
        calls++;
        return calls === 1 ? new Promise<boolean>((resolve) => (release = resolve)) : Promise.resolve(true);
      },
      clock: () => 0,
    });
    const first = cache.isCapped('g');
    cache.changed('g'); // limits added while the first read was in flight
    release(false);
    expect(await first).to.equal(false);
    expect(await cache.isCapped('g')).to.equal(true);
    expect(calls).to.equal(2);
  });

  it("forgets a child of token exchange when an ancestor's limits change", async () => {
    let parentCapped = false;
    let calls = 0;
    const cache = createCappedGrants({
      load: async () => {
        calls++;
        return { capped: parentCapped, ancestors: ['parent', 'root'] };
      },
      clock: () => 0,
    });
    expect(await cache.isCapped('child')).to.equal(false);
    expect(await cache.isCapped('child')).to.equal(false);
    expect(calls).to.equal(1);
    parentCapped = true; // a cap added to the root grant
    cache.changed('root');
    expect(await cache.isCapped('child')).to.equal(true);
    expect(calls).to.equal(2);
    cache.changed('unrelated');
    expect(await cache.isCapped('child')).to.equal(true);
    expect(calls).to.equal(2);
  });
});
