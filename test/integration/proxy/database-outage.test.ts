import { renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { createGrantStore } from '../../../src/storage/grant-store.ts';
import { createRevocationStore } from '../../../src/storage/revocation-store.ts';
import { engines } from '../../support/databases.ts';
import { freePort } from '../../support/free-port.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';
import { type RunningProxy, startProxy } from '../../support/start-proxy.ts';
import { startTcpCut } from '../../support/tcp-cut.ts';

const chat = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

for (const engine of engines) {
  describe(`proxy: the database out of reach is 503 unavailable, never 500 (${engine})`, function () {
    this.timeout(30_000);
    let fx: ProxyFixture;
    let proxy: RunningProxy;
    let cutter: Awaited<ReturnType<typeof startTcpCut>> | undefined;
    let base: string;

    before(async () => {
      fx = await startProxyFixture(engine);
      const url = fx.as.database.url;
      let databaseUrl = url;
      if (engine === 'pg') {
        const u = new URL(url);
        cutter = await startTcpCut({ host: u.hostname, port: Number(u.port || 5432) });
        databaseUrl = cutter.through(url);
      }
      const port = await freePort();
      proxy = await startProxy(fx.as, fx.upstream, {
        // Every capped request reserves (database-blackhole.test.ts serves out of a slice instead).
        proxy: {
          port,
          revocationFeed: { pollIntervalMs: 50, maxSilenceMs: 1000 },
          leases: { enabled: false },
        },
        databaseUrl,
      });
      base = `http://127.0.0.1:${port}/openai/v1`;
    });
    after(async () => {
      await proxy?.close();
      await cutter?.close();
      await fx?.close();
    });

    /** PostgreSQL: every connection through the forwarder dies; SQLite: the file's folder is gone and the connection lost. */
    async function cut(): Promise<() => Promise<void>> {
      if (cutter) {
        cutter.cut();
        return async () => cutter?.restore();
      }
      const file = fx.as.database.url.slice('sqlite:'.length);
      const dir = dirname(file);
      renameSync(dir, `${dir}-away`);
      await proxy.db.destroy();
      proxy.db.initialize();
      return async () => renameSync(`${dir}-away`, dir);
    }

    const send = (token: string) =>
      fetch(`${base}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: chat,
      });
    const expectUnavailable = async (res: Response, what: string) => {
      const text = await res.text();
      expect(res.status, `${what}: ${text}`).to.equal(503);
      expect((JSON.parse(text) as { error: { code: string } }).error.code).to.equal('unavailable');
    };
    const readyz = async () => (await fetch(`${base.replace('/openai/v1', '')}/readyz`)).status;

    it('capped, first-sight and (once the feed is silent) warm uncapped requests get 503 at once, and all serve again when it returns', async () => {
      const db = fx.as.database.db;
      const clock = () => Date.now();
      const capped = (await fx.grant('openai:gpt-4o-mini:chat')).accessToken;
      const cappedGrant = String(decodeJwt(capped).grant_id);
      const grants = createGrantStore(db, clock, createRevocationStore(db, clock));
      expect((await grants.lowerLimits(cappedGrant, { maxRequests: 100 })).ok).to.equal(true);
      const app2 = await fx.addApp('Second');
      const warm = (await app2.grant('openai:gpt-4o-mini:chat')).accessToken;
      const app3 = await fx.addApp('Third');
      const fresh = (await app3.grant('openai:gpt-4o-mini:chat')).accessToken;
      await proxy.revocationDelivered(cappedGrant);
      expect((await send(capped)).status).to.equal(200);
      expect((await send(warm)).status).to.equal(200);

      const restore = await cut();
      const statuses: number[] = [];
      try {
        const started = performance.now();
        const a = await send(capped);
        statuses.push(a.status);
        await expectUnavailable(a, 'capped');
        const b = await send(fresh);
        statuses.push(b.status);
        await expectUnavailable(b, 'uncapped, first sight');
        const tookMs = performance.now() - started;
        console.log(`      ${engine}: capped and first-sight refusals took ${tookMs.toFixed(0)} ms`);
        expect(tookMs).to.be.below(1000);
        // A warm uncapped request needs no database trip: served until the feed has been
        // silent for maxSilenceMs, then 503 like the rest.
        while ((await readyz()) === 200) {
          const res = await send(warm);
          statuses.push(res.status);
          expect([200, 503]).to.include(res.status);
          await res.arrayBuffer();
        }
        const c = await send(warm);
        statuses.push(c.status);
        await expectUnavailable(c, 'uncapped, warm, feed silent');
      } finally {
        await restore();
      }
      expect(statuses).to.not.include(500);
      while ((await readyz()) !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await send(capped)).status).to.equal(200);
      expect((await send(fresh)).status).to.equal(200);
      expect((await send(warm)).status).to.equal(200);
    });
  });
}
