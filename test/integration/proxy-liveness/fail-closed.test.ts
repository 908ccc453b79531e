import { expect } from 'chai';
import { type RunningLiveness, startLiveness } from '../../../src/proxy/liveness/start-liveness.ts';
import { engines } from '../../support/databases.ts';
import { createWorld, feedEvents, type World } from './harness.ts';

const maxSilenceMs = 1000;

for (const engine of engines) {
  describe(`proxy liveness: fail closed (${engine})`, () => {
    let world: World;
    let liveness: RunningLiveness;
    const events = feedEvents();
    let now = 1_800_000_000_000;
    const clock = () => now;
    const exp = Math.floor(now / 1000) + 3600;

    before(async () => {
      world = await createWorld(engine, clock);
      liveness = await startLiveness({
        db: world.proxyDb,
        databaseUrl: world.t.url,
        pollIntervalMs: 50,
        maxSilenceMs,
        maxTokenTtlMs: 3_600_000,
        clock,
        onEvent: events.record,
      });
    });
    after(async () => {
      await liveness.stop();
      await world.close();
    });

    it('answers unavailable when its database is gone, for every grant once the feed is silent; then recovers', async () => {
      await world.recordGrant('g-known', now + 86_400_000);
      await world.recordGrant('g-new', now + 86_400_000);
      expect(await liveness.check({ grantId: 'g-known', jti: 'j1', exp })).to.equal('live');

      const failing = events.next((e) => e.type === 'read-failed');
      await world.proxyDb.destroy();
      await failing;
      // A grant it has not seen needs the database: unavailable at once.
      expect(await liveness.check({ grantId: 'g-new', jti: 'j2', exp })).to.equal('unavailable');
      // A known one is still answered from memory while the silence is within bounds…
      expect(await liveness.check({ grantId: 'g-known', jti: 'j1', exp })).to.equal('live');
      await world.as.revocations.revokeGrant('g-known', 'account_page');

      // …and not beyond.
      now += maxSilenceMs + 1;
      expect(liveness.healthy()).to.equal(false);
      expect(await liveness.check({ grantId: 'g-known', jti: 'j1', exp })).to.equal('unavailable');
      expect(await liveness.check({ grantId: 'g-new', jti: 'j2', exp })).to.equal('unavailable');

      // The database comes back: the next poll catches up and answers resume by themselves.
      const caughtUp = events.delivering('g-known');
      world.proxyDb.initialize();
      await caughtUp;
      expect(liveness.healthy()).to.equal(true);
      expect(await liveness.check({ grantId: 'g-known', jti: 'j1', exp })).to.equal('revoked');
      expect(await liveness.check({ grantId: 'g-new', jti: 'j2', exp })).to.equal('live');
    });
  });
}
