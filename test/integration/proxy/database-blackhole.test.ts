import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { createGrantStore } from '../../../src/storage/grant-store.ts';
import { createRevocationStore } from '../../../src/storage/revocation-store.ts';
import { freePort } from '../../support/free-port.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';
import { type RunningProxy, startProxy } from '../../support/start-proxy.ts';
import { startTcpCut } from '../../support/tcp-cut.ts';

const chat = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

/**
 * A proxy on its own port whose PostgreSQL connections pass a TCP cutter that can
 * black-hole them; `leases` is its `proxy.leases` setting. Registers the hooks.
 */
function blackholedProxy(leases: Record<string, unknown>) {
  const state = {} as {
    fx: ProxyFixture;
    proxy: RunningProxy;
    cutter: Awaited<ReturnType<typeof startTcpCut>>;
    base: string;
  };
  before(async function () {
    if (!process.env.MANDATE_TEST_PG_URL) this.skip();
    state.fx = await startProxyFixture('pg');
    const u = new URL(state.fx.as.database.url);
    state.cutter = await startTcpCut({ host: u.hostname, port: Number(u.port || 5432) });
    const port = await freePort();
    state.proxy = await startProxy(state.fx.as, state.fx.upstream, {
      proxy: { port, revocationFeed: { pollIntervalMs: 50, maxSilenceMs: 1000 }, leases },
      databaseUrl: state.cutter.through(state.fx.as.database.url),
      database: { acquireTimeoutMs: 1000, connectTimeoutMs: 1000 },
    });
    state.base = `http://127.0.0.1:${port}/openai/v1`;
  });
  after(async () => {
    await state.proxy?.close();
    await state.cutter?.close();
    await state.fx?.close();
  });
  return state;
}

// A PostgreSQL server behind a firewall that drops packets: connections open at the TCP
// level and then nothing answers. Without bounded connect and acquire timeouts a request
// would wait knex's 60 s (and pg's unbounded connect) before failing.
describe('proxy: a black-holed PostgreSQL is 503 unavailable within the configured timeouts (pg)', function () {
  this.timeout(30_000);
  // Every capped request reserves (the describe below holds a slice instead).
  const t = blackholedProxy({ enabled: false });

  const send = (token: string) =>
    fetch(`${t.base}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: chat,
    });

  it('a capped request and a first-sight grant get 503 while it is black-holed, and are served once it answers again', async () => {
    const db = t.fx.as.database.db;
    const clock = () => Date.now();
    const capped = (await t.fx.grant('openai:gpt-4o-mini:chat')).accessToken;
    const cappedGrant = String(decodeJwt(capped).grant_id);
    const grants = createGrantStore(db, clock, createRevocationStore(db, clock));
    expect((await grants.lowerLimits(cappedGrant, { maxRequests: 100 })).ok).to.equal(true);
    const fresh = (await (await t.fx.addApp('Second')).grant('openai:gpt-4o-mini:chat')).accessToken;
    await t.proxy.revocationDelivered(cappedGrant);
    expect((await send(capped)).status).to.equal(200);

    t.cutter.blackhole();
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
      t.cutter.restore();
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

// With leases, a capped grant's requests inside a slice the proxy already holds need no
// database: they are served while it is black-holed, and charged once it answers. A
// request that needs a new slice is 503 like any other.
describe('proxy with leases: a black-holed PostgreSQL (pg)', function () {
  this.timeout(30_000);
  const t = blackholedProxy({ enabled: true, idleMs: 10_000 });

  const send = async (token: string) => {
    const res = await fetch(`${t.base}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: chat,
    });
    await res.arrayBuffer();
    return res.status;
  };

  it('serves out of the slice it holds, refuses 503 past it, and settles what it served once the database answers', async () => {
    const db = t.fx.as.database.db;
    const capped = (await t.fx.grant('openai:gpt-4o-mini:chat')).accessToken;
    const grantId = String(decodeJwt(capped).grant_id);
    const grants = createGrantStore(db, Date.now, createRevocationStore(db, Date.now));
    expect((await grants.lowerLimits(grantId, { maxRequests: 100 })).ok).to.equal(true);
    await t.proxy.revocationDelivered(grantId);
    // The first request takes a slice of two (the fewest worth one).
    expect(await send(capped)).to.equal(200);
    const [slice] = await db('reservations').where({ grant_id: grantId });
    expect(slice).to.deep.include({ requests: 2 });

    t.cutter.blackhole();
    try {
      expect(await send(capped), 'out of the slice held').to.equal(200);
      expect(await send(capped), 'a new slice needs the database').to.equal(503);
    } finally {
      t.cutter.restore();
    }
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = await send(capped);
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).to.equal(200);
    // Every request served is settled: the one served in the dark too.
    for (let i = 0; i < 100; i++) {
      const row = await db('grant_counters').where({ grant_id: grantId, scope: '*' }).first();
      if (Number(row.requests) - Number(row.open_requests) === 3) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const row = await db('grant_counters').where({ grant_id: grantId, scope: '*' }).first();
    expect(Number(row.requests) - Number(row.open_requests), 'settled').to.equal(3);
    expect(Number(row.requests), 'charged, with what the slices still hold').to.be.at.most(100);
  });
});
