import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { createBudgetStore } from '../../../src/storage/budget-store.ts';
import { createGrantEventStore } from '../../../src/storage/grant-event-store.ts';
import { createGrantStore } from '../../../src/storage/grant-store.ts';
import { createRevocationStore } from '../../../src/storage/revocation-store.ts';
import { createUsageStore } from '../../../src/storage/usage-store.ts';
import { engines } from '../../support/databases.ts';
import { openaiClient } from '../../support/proxy-clients.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';
import { type ProxyProcess, type SpawnedProxies, spawnProxies } from '../../support/spawn-proxies.ts';

/** Waits until `check` holds (polling every 25 ms); fails after `ms`. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, ms = 10_000): Promise<T> {
  for (const deadline = Date.now() + ms; ; ) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`not so after ${ms} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

for (const engine of engines) {
  describe(`a proxy process killed mid-stream (${engine})`, function () {
    this.timeout(60_000);
    let fx: ProxyFixture;
    let spawned: SpawnedProxies;

    before(async () => {
      fx = await startProxyFixture(engine);
      // Quick beats so the survivor notices the dead one within a second.
      spawned = await spawnProxies(fx.as, fx.upstream, {
        count: 2,
        // One reservation per request (leases.test.ts kills a process holding a slice).
        env: {
          MANDATE_PROXY_LEASES: 'false',
          MANDATE_PROXY_HEARTBEAT_MS: '100',
          MANDATE_PROXY_REAP_AFTER_MS: '600',
        },
      });
    });
    after(async () => {
      fx?.upstream.control.release();
      await spawned?.close();
      await fx?.close();
    });

    it('leaves a reservation the other process reaps: charged at its worst case, recorded, cap never passed', async () => {
      const { accessToken } = await fx.grant('openai:*:chat');
      const grantId = String(decodeJwt(accessToken).grant_id);
      const db = fx.as.database.db;
      const grants = createGrantStore(db, Date.now, createRevocationStore(db, Date.now));
      expect((await grants.lowerLimits(grantId, { maxSpendMicroUsd: 1_000_000 })).ok).to.equal(true);
      const budgets = createBudgetStore(db, Date.now);
      const [doomed, survivor] = spawned.proxies as [ProxyProcess, ProxyProcess];

      // The upstream stalls after three events: the stream is in flight when the proxy dies.
      fx.upstream.control.next({ fault: { kind: 'stall', afterEvents: 3 } });
      const stream = openaiClient(doomed.openaiBaseURL, accessToken)
        .chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'tell me a long story' }],
          stream: true,
          max_tokens: 100,
        })
        .then(async (chunks) => {
          for await (const _ of chunks);
        })
        .catch((err: unknown) => err);
      await fx.upstream.control.waitForStall();
      const open = await budgets.charged(grantId, 'lifetime');
      expect(open.openReservations).to.equal(1);
      const reserved = await db('reservations').where({ grant_id: grantId }).first();
      // The doomed process beats: it is alive until it dies.
      expect(await db('proxy_heartbeats').where({ proxy_id: reserved.proxy_id })).to.have.length(1);
      const trail = await createGrantEventStore(db, Date.now).forGrant(grantId);

      expect(await doomed.kill('SIGKILL')).to.deep.include({ signal: 'SIGKILL' });
      // The client sees its connection die: the stream fails instead of ending (undici: "terminated").
      expect(await stream).to.be.instanceOf(Error);

      const after = await eventually(
        () => budgets.charged(grantId, 'lifetime'),
        (c) => c.openReservations === 0,
      );
      // Nobody can say what the upstream billed: the worst case stays charged.
      expect(after).to.deep.include({
        requests: 1,
        tokens: Number(reserved.tokens),
        microUsd: Number(reserved.micro_usd),
      });
      const usage = createUsageStore(db);
      const [record] = await eventually(
        () => usage.forGrant(grantId),
        (rows) => rows.length === 1,
      );
      expect(record).to.deep.include({
        status: 0,
        upstreamFailed: true,
        costMicroUsd: Number(reserved.micro_usd),
      });
      expect(record?.inputTokens + (record?.outputTokens ?? 0)).to.equal(Number(reserved.tokens));

      // The grant goes on working through the survivor, from what is left.
      fx.upstream.control.release();
      fx.upstream.control.reset();
      await openaiClient(survivor.openaiBaseURL, accessToken).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hello again' }],
        max_tokens: 10,
      });
      const final = await eventually(
        () => budgets.charged(grantId, 'lifetime'),
        (c) => c.requests === 2 && c.openReservations === 0,
      );
      expect(final.microUsd).to.be.above(after.microUsd);
      // The dead process's beat is gone once reaped; the audit trail was not touched.
      expect(await db('proxy_heartbeats').where({ proxy_id: reserved.proxy_id })).to.have.length(0);
      expect(await createGrantEventStore(db, Date.now).forGrant(grantId)).to.deep.equal(trail);
    });
  });
}
