import { expect } from 'chai';
import { createLiveness, type GrantFacts } from '../../../../src/proxy/liveness/liveness.ts';
import type { RevocationEntry } from '../../../../src/storage/revocation-store.ts';

const TTL = 3_600_000;
let seq = 0;
const entry = (kind: 'grant' | 'token', subjectId: string): RevocationEntry => ({
  seq: ++seq,
  kind,
  subjectId,
  grantId: kind === 'grant' ? subjectId : null,
  reason: 'cli',
  createdAt: 0,
});

describe('liveness', () => {
  let now: number;
  let healthy: boolean;
  let grantRows: Map<string, GrantFacts>;
  let revokedJtis: Set<string>;
  let calls: { grants: string[]; tokens: string[] };
  let failReads: Error | undefined;

  beforeEach(() => {
    now = 1_800_000_000_000;
    healthy = true;
    grantRows = new Map([['g1', { revokedAt: null, expiresAt: now + 10 * TTL }]]);
    revokedJtis = new Set();
    calls = { grants: [], tokens: [] };
    failReads = undefined;
  });

  function build(over: Partial<Parameters<typeof createLiveness>[0]> = {}) {
    return createLiveness({
      async loadGrant(id) {
        calls.grants.push(id);
        if (failReads) throw failReads;
        return grantRows.get(id);
      },
      async isTokenRevoked(jti) {
        calls.tokens.push(jti);
        if (failReads) throw failReads;
        return revokedJtis.has(jti);
      },
      feed: { healthy: () => healthy },
      clock: () => now,
      maxTokenTtlMs: TTL,
      ...over,
    });
  }
  const exp = () => Math.floor((now + TTL) / 1000);

  it('reads a grant and a token id once, then answers from memory', async () => {
    const live = build();
    expect(await live.check({ grantId: 'g1', jti: 'j1', exp: exp() })).to.equal('live');
    for (let i = 0; i < 100; i++)
      expect(await live.check({ grantId: 'g1', jti: 'j1', exp: exp() })).to.equal('live');
    expect(calls).to.deep.equal({ grants: ['g1'], tokens: ['j1'] });
    expect(await live.check({ grantId: 'g1', jti: 'j2', exp: exp() })).to.equal('live');
    expect(calls).to.deep.equal({ grants: ['g1'], tokens: ['j1', 'j2'] });
  });

  it('concurrent first sights of one grant share one read', async () => {
    const live = build();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => live.check({ grantId: 'g1', jti: `j${i % 2}`, exp: exp() })),
    );
    expect(answers).to.deep.equal(Array(10).fill('live'));
    expect(calls.grants).to.deep.equal(['g1']);
    expect(calls.tokens).to.deep.equal(['j0', 'j1']);
  });

  it('answers revoked for a revoked grant, an expired grant and a revoked token id; unknown for no grant', async () => {
    grantRows.set('g-revoked', { revokedAt: now - 1, expiresAt: now + TTL });
    grantRows.set('g-short', { revokedAt: null, expiresAt: now + 1000 });
    revokedJtis.add('j-revoked');
    const live = build();
    expect(await live.check({ grantId: 'g-revoked', jti: 'a', exp: exp() })).to.equal('revoked');
    expect(await live.check({ grantId: 'g1', jti: 'j-revoked', exp: exp() })).to.equal('revoked');
    expect(await live.check({ grantId: 'nope', jti: 'b', exp: exp() })).to.equal('unknown');
    expect(await live.check({ grantId: 'g-short', jti: 'c', exp: exp() })).to.equal('live');
    now += 1000;
    expect(await live.check({ grantId: 'g-short', jti: 'c', exp: exp() })).to.equal('revoked');
  });

  it('feed events evict what is known; events about ids never seen are not kept', async () => {
    const live = build();
    expect(await live.check({ grantId: 'g1', jti: 'j1', exp: exp() })).to.equal('live');
    live.applyEntries([entry('grant', 'g1'), entry('grant', 'never-seen'), entry('token', 'never-seen-jti')]);
    expect(await live.check({ grantId: 'g1', jti: 'j1', exp: exp() })).to.equal('revoked');
    expect(live.size()).to.deep.include({ grants: 1, tokens: 1 });

    grantRows.set('g2', { revokedAt: null, expiresAt: now + 10 * TTL });
    expect(await live.check({ grantId: 'g2', jti: 'j2', exp: exp() })).to.equal('live');
    live.applyEntries([entry('token', 'j2')]);
    expect(await live.check({ grantId: 'g2', jti: 'j2', exp: exp() })).to.equal('revoked');
    expect(await live.check({ grantId: 'g2', jti: 'j3', exp: exp() })).to.equal('live');
  });

  for (const kind of ['grant', 'token'] as const) {
    it(`a ${kind} revocation arriving while its read is in flight wins over the read`, async () => {
      const held = Promise.withResolvers<void>();
      const readDone = Promise.withResolvers<void>();
      const live = build({
        async loadGrant(id) {
          const facts = grantRows.get(id);
          if (kind === 'grant') {
            readDone.resolve();
            await held.promise;
          }
          return facts; // says live: read before the revocation committed
        },
        async isTokenRevoked() {
          if (kind === 'token') {
            readDone.resolve();
            await held.promise;
          }
          return false;
        },
      });
      const pending = live.check({ grantId: 'g1', jti: 'j1', exp: exp() });
      await readDone.promise;
      live.applyEntries([entry(kind, kind === 'grant' ? 'g1' : 'j1')]);
      held.resolve();
      expect(await pending).to.equal('revoked');
      expect(await live.check({ grantId: 'g1', jti: 'j1', exp: exp() })).to.equal('revoked');
    });
  }

  it('the in-flight event wins even if a sweep ran in between', async () => {
    const held = Promise.withResolvers<void>();
    const readDone = Promise.withResolvers<void>();
    const live = build({
      async loadGrant(id) {
        readDone.resolve();
        await held.promise;
        return grantRows.get(id);
      },
    });
    const pending = live.check({ grantId: 'g1', jti: 'j1', exp: exp() });
    await readDone.promise;
    live.applyEntries([entry('grant', 'g1')]);
    now += TTL + 1;
    live.prune(now);
    held.resolve();
    expect(await pending).to.equal('revoked');
  });

  it('fails closed while the feed is silent or the database cannot be read, and recovers', async () => {
    const live = build();
    expect(await live.check({ grantId: 'g1', jti: 'j1', exp: exp() })).to.equal('live');
    failReads = new Error('database down');
    expect(await live.check({ grantId: 'g2', jti: 'j2', exp: exp() })).to.equal('unavailable');
    healthy = false;
    expect(await live.check({ grantId: 'g1', jti: 'j1', exp: exp() })).to.equal('unavailable');
    healthy = true;
    failReads = undefined;
    grantRows.set('g2', { revokedAt: null, expiresAt: now + TTL });
    expect(await live.check({ grantId: 'g1', jti: 'j1', exp: exp() })).to.equal('live');
    expect(await live.check({ grantId: 'g2', jti: 'j2', exp: exp() })).to.equal('live');
  });

  it('keeps revoked ids for maxTokenTtlMs, live ones until the latest token exp seen', async () => {
    for (let i = 0; i < 50; i++) grantRows.set(`g${i}`, { revokedAt: null, expiresAt: now + 10 * TTL });
    const live = build({ pruneIntervalMs: 1000 });
    for (let i = 0; i < 50; i++) await live.check({ grantId: `g${i}`, jti: `j${i}`, exp: exp() });
    live.applyEntries(Array.from({ length: 25 }, (_, i) => entry('grant', `g${i}`)));
    live.applyEntries(Array.from({ length: 25 }, (_, i) => entry('token', `j${i + 25}`)));
    expect(live.size()).to.deep.equal({ grants: 50, tokens: 50, loading: 0 });

    now += TTL / 2;
    // A fresh token of g49 keeps that grant in memory past the first token's exp.
    expect(await live.check({ grantId: 'g49', jti: 'fresh', exp: exp() })).to.equal('live');
    now += TTL / 2;
    expect(await live.check({ grantId: 'g49', jti: 'fresh', exp: exp() })).to.equal('live');
    expect(live.size()).to.deep.equal({ grants: 1, tokens: 1, loading: 0 });
    expect(calls.grants.filter((g) => g === 'g49')).to.have.length(1);
  });
});
