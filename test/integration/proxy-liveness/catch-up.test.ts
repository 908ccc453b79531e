import { expect } from 'chai';
import { engines } from '../../support/databases.ts';
import { composeLiveness, createWorld, LISTENER_NAME, type World } from './harness.ts';

const listenerPids = async (world: World): Promise<number[]> => {
  const result = await world.t.db.raw(
    `select pid from pg_stat_activity
      where datname = current_database() and query ilike 'LISTEN%' and application_name = ?`,
    [LISTENER_NAME],
  );
  return (result.rows as { pid: number }[]).map((r) => Number(r.pid));
};

for (const engine of engines) {
  describe(`proxy liveness: catch-up (${engine})`, () => {
    let world: World;
    const now = 1_800_000_000_000;
    const clock = () => now;
    const exp = Math.floor(now / 1000) + 3600;
    const stops: (() => Promise<void>)[] = [];

    beforeEach(async () => {
      world = await createWorld(engine, clock);
    });
    afterEach(async () => {
      for (const stop of stops.splice(0)) await stop();
      await world.close();
    });

    it('revocations committed while reads fail are delivered once reads succeed again', async () => {
      const broken = { on: false };
      const { feed, liveness, events } = await composeLiveness(world, {
        clock,
        pollIntervalMs: 50,
        wrapReadLog: (readLog) => async (afterSeq, limit) => {
          if (broken.on) throw new Error('reads broken by the test');
          return readLog(afterSeq, limit);
        },
      });
      stops.push(feed.stop);
      await world.recordGrant('g1', now + 86_400_000);
      await world.recordGrant('g2', now + 86_400_000);
      expect(await liveness.check({ grantId: 'g1', jti: 'j1', exp })).to.equal('live');
      expect(await liveness.check({ grantId: 'g2', jti: 'j2', exp })).to.equal('live');

      broken.on = true;
      await events.next((e) => e.type === 'read-failed');
      await world.as.revocations.revokeGrant('g1', 'account_page');
      await world.as.revocations.revokeToken('j2', 'g2', exp * 1000, 'access_token_revoked');
      await events.next((e) => e.type === 'read-failed');
      expect(await liveness.check({ grantId: 'g1', jti: 'j1', exp })).to.equal('live'); // not heard yet

      const delivered = events.delivering('j2');
      broken.on = false;
      await delivered;
      expect(await liveness.check({ grantId: 'g1', jti: 'j1', exp })).to.equal('revoked');
      expect(await liveness.check({ grantId: 'g2', jti: 'j2', exp })).to.equal('revoked');
      expect(await liveness.check({ grantId: 'g2', jti: 'j3', exp })).to.equal('live');
    });

    if (engine === 'pg') {
      it('a LISTEN connection killed by the server reconnects and catches up from the last seq', async () => {
        let gate: Promise<void> | undefined;
        const { feed, liveness, events } = await composeLiveness(world, {
          clock,
          pollIntervalMs: 600_000, // no poll in this test: only the reconnect can deliver
          wrapListen: (listen) => async (handlers) => {
            if (gate) await gate;
            return listen(handlers);
          },
        });
        stops.push(feed.stop);
        await world.recordGrant('g1', now + 86_400_000);
        expect(await liveness.check({ grantId: 'g1', jti: 'j1', exp })).to.equal('live');

        const [pid, ...others] = await listenerPids(world);
        expect(others).to.deep.equal([]);
        const reopen = Promise.withResolvers<void>();
        gate = reopen.promise;
        const lost = events.next((e) => e.type === 'listen-lost');
        await world.t.db.raw('select pg_terminate_backend(?)', [pid]);
        await lost;

        await world.as.revocations.revokeGrant('g1', 'account_page');
        expect(await liveness.check({ grantId: 'g1', jti: 'j1', exp })).to.equal('live'); // missed the NOTIFY

        const listening = events.next((e) => e.type === 'listening');
        const delivered = events.delivering('g1');
        gate = undefined;
        reopen.resolve();
        await listening;
        await delivered;
        expect(await liveness.check({ grantId: 'g1', jti: 'j1', exp })).to.equal('revoked');
        const [newPid] = await listenerPids(world);
        expect(newPid).to.be.a('number').and.not.equal(pid);

        // And the new connection hears the next one without any poll.
        await world.recordGrant('g2', now + 86_400_000);
        expect(await liveness.check({ grantId: 'g2', jti: 'j2', exp })).to.equal('live');
        const next = events.delivering('g2');
        await world.as.revocations.revokeGrant('g2', 'cli');
        await next;
        expect(await liveness.check({ grantId: 'g2', jti: 'j2', exp })).to.equal('revoked');
      });
    }
  });
}
