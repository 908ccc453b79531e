import { expect } from 'chai';
import { type RunningLiveness, startLiveness } from '../../../src/proxy/liveness/start-liveness.ts';
import { engines } from '../../support/databases.ts';
import { composeLiveness, createWorld, feedEvents, type World } from './harness.ts';

const table = (sql: string) => /\b(grants|revoked_tokens)\b/.exec(sql)?.[1];

for (const engine of engines) {
  describe(`proxy liveness: first sight of a grant (${engine})`, () => {
    let world: World;
    const now = 1_800_000_000_000;
    const clock = () => now;
    const exp = Math.floor(now / 1000) + 3600;

    beforeEach(async () => {
      world = await createWorld(engine, clock);
    });
    afterEach(() => world.close());

    it('reads the database once; a known grant and token id are answered with no query', async () => {
      const queries: string[] = [];
      world.proxyDb.on('query', (q: { sql: string }) => {
        if (!/\brevocations\b/.test(q.sql)) queries.push(q.sql); // the feed's own polls aside
      });
      const events = feedEvents();
      let liveness: RunningLiveness | undefined;
      try {
        liveness = await startLiveness({
          db: world.proxyDb,
          databaseUrl: world.t.url,
          pollIntervalMs: 50,
          maxSilenceMs: 5000,
          maxTokenTtlMs: 3_600_000,
          clock,
          onEvent: events.record,
        });
        await world.recordGrant('g1', now + 86_400_000);
        const first = await Promise.all(
          Array.from({ length: 20 }, () => liveness?.check({ grantId: 'g1', jti: 'j1', exp })),
        );
        expect(first).to.deep.equal(Array(20).fill('live'));
        expect(queries.map(table).sort()).to.deep.equal(['grants', 'revoked_tokens']);

        for (let i = 0; i < 1000; i++) await liveness.check({ grantId: 'g1', jti: 'j1', exp });
        await events.nextRead(); // a poll went by too
        expect(await liveness.check({ grantId: 'g1', jti: 'j1', exp })).to.equal('live');
        expect(queries).to.have.length(2);

        // A new token of a known grant costs one look at revoked_tokens, nothing else.
        expect(await liveness.check({ grantId: 'g1', jti: 'j2', exp })).to.equal('live');
        expect(queries).to.have.length(3);
        expect(table(queries[2] ?? '')).to.equal('revoked_tokens');
      } finally {
        await liveness?.stop();
      }
    });

    for (const kind of ['grant', 'token'] as const) {
      it(`a ${kind} revoked while its first read is in flight ends revoked, not cached live`, async () => {
        const readDone = Promise.withResolvers<void>();
        const release = Promise.withResolvers<void>();
        let holding = false;
        /** Holds the first read's answer back, after the database has given it. */
        const hold = async (applies: boolean) => {
          if (!holding || !applies) return;
          readDone.resolve();
          await release.promise;
        };
        const { feed, liveness, events } = await composeLiveness(world, {
          clock,
          pollIntervalMs: 50,
          wrapLoadGrant: (load) => async (id) => {
            const facts = await load(id);
            await hold(kind === 'grant');
            return facts;
          },
          wrapIsTokenRevoked: (isRevoked) => async (jti) => {
            const revoked = await isRevoked(jti);
            await hold(kind === 'token');
            return revoked;
          },
        });
        try {
          await world.recordGrant('g1', now + 86_400_000);
          holding = true;
          const pending = liveness.check({ grantId: 'g1', jti: 'j1', exp });
          await readDone.promise; // the database has said "live"; the answer is not back yet
          holding = false;

          const delivered = events.delivering(kind === 'grant' ? 'g1' : 'j1');
          if (kind === 'grant') await world.as.revocations.revokeGrant('g1', 'account_page');
          else await world.as.revocations.revokeToken('j1', 'g1', exp * 1000, 'access_token_revoked');
          await delivered;
          release.resolve();

          expect(await pending).to.equal('revoked');
          expect(await liveness.check({ grantId: 'g1', jti: 'j1', exp })).to.equal('revoked');
          expect(liveness.size().loading).to.equal(0);
        } finally {
          await feed.stop();
        }
      });
    }
  });
}
