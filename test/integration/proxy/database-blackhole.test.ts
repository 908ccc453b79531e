import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { createGrantStore } from '../../../src/storage/grant-store.ts';
import { createRevocationStore } from '../../../src/storage/revocation-store.ts';
import { freePort } from '../../support/free-port.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';
import { type RunningProxy, startProxy } from '../../support/start-proxy.ts';
import { startTcpCut } from '../../support/tcp-cut.ts';

const chat = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

// A PostgreSQL server behind a firewall that drops packets: connections open at the TCP
// level and then nothing answers. Without bounded connect and acquire timeouts a request
// would wait knex's 60 s (and pg's unbounded connect) before failing.
describe('proxy: a black-holed PostgreSQL is 503 unavailable within the configured timeouts (pg)', function () {
  this.timeout(30_000);
  let fx: ProxyFixture;
  let proxy: RunningProxy;
  let cutter: Awaited<ReturnType<typeof startTcpCut>>;
  let base: string;

  before(async function () {
    if (!process.env.MANDATE_TEST_PG_URL) this.skip();
    fx = await startProxyFixture('pg');
    const u = new URL(fx.as.database.url);
    cutter = await startTcpCut({ host: u.hostname, port: Number(u.port || 5432) });
    const port = await freePort();
    proxy = await startProxy(fx.as, fx.upstream, {
      proxy: { port, revocationFeed: { pollIntervalMs: 50, maxSilenceMs: 1000 } },
      databaseUrl: cutter.through(fx.as.database.url),
      database: { acquireTimeoutMs: 1000, connectTimeoutMs: 1000 },
    });
    base = `http://127.0.0.1:${port}/openai/v1`;
  });
  after(async () => {
    await proxy?.close();
    await cutter?.close();
    await fx?.close();
  });

  const send = (token: string) =>
    fetch(`${base}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: chat,
    });

  it('a capped request and a first-sight grant get 503 while it is black-holed, and are served once it answers again', async () => {
    const db = fx.as.database.db;
    const clock = () => Date.now();
    const capped = (await fx.grant('openai:gpt-4o-mini:chat')).accessToken;
    const cappedGrant = String(decodeJwt(capped).grant_id);
    const grants = createGrantStore(db, clock, createRevocationStore(db, clock));
    expect((await grants.lowerLimits(cappedGrant, { maxRequests: 100 })).ok).to.equal(true);
    const fresh = (await (await fx.addApp('Second')).grant('openai:gpt-4o-mini:chat')).accessToken;
    await proxy.revocationDelivered(cappedGrant);
    expect((await send(capped)).status).to.equal(200);

    cutter.blackhole();
    try {
      for (const [what, token] of [
        ['capped', capped],
        ['first sight', fresh],
      ] as const) {
        const res = await send(token);
        const text = await res.text();
        expect(res.status, `${what}: ${text}`).to.equal(503);
        expect((JSON.parse(text) as { error: { code: string } }).error.code).to.equal('unavailable');
      }
    } finally {
      cutter.restore();
    }
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      const res = await send(capped);
      status = res.status;
      await res.arrayBuffer();
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).to.equal(200);
    expect((await send(fresh)).status).to.equal(200);
  });
});
