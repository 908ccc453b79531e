import { expect } from 'chai';
import { type RunningLiveness, startLiveness } from '../../../src/proxy/liveness/start-liveness.ts';
import { engines } from '../../support/databases.ts';
import { createWorld, feedEvents, type World } from './harness.ts';

const maxTokenTtlMs = 60_000;

for (const engine of engines) {
  describe(`proxy liveness: memory (${engine})`, () => {
    let world: World;
    let liveness: RunningLiveness;
    const events = feedEvents();
    let now = 1_800_000_000_000;
    const clock = () => now;
    const exp = () => Math.floor((now + maxTokenTtlMs) / 1000);

    before(async () => {
      world = await createWorld(engine, clock);
      liveness = await startLiveness({
        db: world.proxyDb,
        databaseUrl: world.t.url,
        pollIntervalMs: 50,
        maxSilenceMs: 1000,
        maxTokenTtlMs,
        clock,
        onEvent: events.record,
      });
    });
    after(async () => {
      await liveness.stop();
      await world.close();
    });

    it('holds revoked ids only while a token could be alive: flat as revocations grow', async () => {
      for (let round = 0; round < 3; round++) {
        const ids = Array.from({ length: 30 }, (_, i) => `r${round}-${i}`);
        for (const id of ids) {
          await world.recordGrant(`g-${id}`, now + 86_400_000);
          await world.recordGrant(`unseen-${id}`, now + 86_400_000);
          expect(await liveness.check({ grantId: `g-${id}`, jti: `j-${id}`, exp: exp() })).to.equal('live');
        }
        const last = events.delivering(`unseen-${ids.at(-1)}`);
        for (const [i, id] of ids.entries()) {
          if (i % 2 === 0) await world.as.revocations.revokeGrant(`g-${id}`, 'account_page');
          else
            await world.as.revocations.revokeToken(
              `j-${id}`,
              `g-${id}`,
              exp() * 1000,
              'access_token_revoked',
            );
          await world.as.revocations.revokeGrant(`unseen-${id}`, 'cli'); // another proxy's business
        }
        await last;
        const held = round === 0 ? 30 : 31; // the previous round's fresh grant is still live
        expect(liveness.size()).to.deep.equal({ grants: held, tokens: held, loading: 0 });
        expect(await liveness.check({ grantId: `g-${ids[0]}`, jti: `j-${ids[0]}`, exp: exp() })).to.equal(
          'revoked',
        );
        expect(await liveness.check({ grantId: `g-${ids[1]}`, jti: `j-${ids[1]}`, exp: exp() })).to.equal(
          'revoked',
        );

        now += maxTokenTtlMs + 1;
        await events.next((e) => e.type === 'read' && liveness.healthy()); // a read started at the new time
        await world.recordGrant(`fresh-${round}`, now + 86_400_000);
        expect(await liveness.check({ grantId: `fresh-${round}`, jti: `jf-${round}`, exp: exp() })).to.equal(
          'live',
        );
        expect(liveness.size()).to.deep.equal({ grants: 1, tokens: 1, loading: 0 });
      }
      // Forgotten is not forgiven: the database still says revoked.
      expect(await liveness.check({ grantId: 'g-r0-0', jti: 'j-r0-0', exp: exp() })).to.equal('revoked');
      expect(await liveness.check({ grantId: 'g-r0-1', jti: 'j-r0-1', exp: exp() })).to.equal('revoked');
    });
  });
}
