import { expect } from 'chai';
import { APIError } from 'openai';
import { createBudgetStore, LEASE_ID_PREFIX } from '../../../src/storage/budget-store.ts';
import { createRevocationStore } from '../../../src/storage/revocation-store.ts';
import { createUsageStore } from '../../../src/storage/usage-store.ts';
import { engines } from '../../support/databases.ts';
import { settledCounters } from '../../support/ledger-reads.ts';
import { grantStoreOf, limitedGrant } from '../../support/limited-grant.ts';
import { openaiClient } from '../../support/proxy-clients.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';
import { type ProxyProcess, type SpawnedProxies, spawnProxies } from '../../support/spawn-proxies.ts';

const MODEL = 'gpt-4o-mini';
const LEASES_ON = { MANDATE_PROXY_LEASES: 'true' };
/** The spawned processes' revocation feed poll interval (PostgreSQL is told at once too). */
const POLL_MS = 25;
/**
 * Ten poll intervals: by then every process has read a log entry written before (the
 * processes expose no hook to wait on): a slice taken before would be returned.
 */
const feedsRead = () => new Promise((resolve) => setTimeout(resolve, 10 * POLL_MS));

type Outcome =
  | { ok: true; aborted: boolean }
  | { ok: false; status: number; code: string | undefined; retryAfter: string | null };

/** What the proxies' metrics say of their slices, summed: taken (a write each), and admissions out of them. */
async function sliceCounts(proxies: readonly ProxyProcess[]) {
  let slices = 0;
  let admissions = 0;
  for (const p of proxies) {
    const text = await (await fetch(`${p.url}/metrics`)).text();
    const count = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    slices += count('mandate_proxy_lease_slices_total');
    admissions += count('mandate_proxy_lease_admissions_total');
  }
  return { slices, admissions };
}

/** Waits until `check` holds (polling every 10 ms); fails after `ms`. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, ms = 10_000): Promise<T> {
  for (const deadline = Date.now() + ms; ; ) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`not so after ${ms} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * One chat request through the official SDK: a stream read to its end, or aborted by the
 * client after `abortAfter` chunks; plain when `stream` is false.
 */
async function chat(
  baseURL: string,
  token: string,
  options: { stream?: boolean; abortAfter?: number; maxTokens?: number } = {},
): Promise<Outcome> {
  const controller = new AbortController();
  try {
    const body = {
      model: MODEL,
      messages: [{ role: 'user' as const, content: 'count the ways' }],
      max_tokens: options.maxTokens ?? 40,
    };
    if (options.stream === false) {
      await openaiClient(baseURL, token).chat.completions.create(body);
      return { ok: true, aborted: false };
    }
    const chunks = await openaiClient(baseURL, token).chat.completions.create(
      { ...body, stream: true },
      { signal: controller.signal },
    );
    let seen = 0;
    for await (const _ of chunks) {
      if (options.abortAfter !== undefined && ++seen >= options.abortAfter) {
        controller.abort();
        return { ok: true, aborted: true };
      }
    }
    return { ok: true, aborted: false };
  } catch (err) {
    if (err instanceof Error && err.name === 'AbortError') return { ok: true, aborted: true };
    if (!(err instanceof APIError)) throw err;
    return {
      ok: false,
      status: err.status ?? 0,
      code: (err.error as { code?: string } | undefined)?.code,
      retryAfter: err.headers?.get('retry-after') ?? null,
    };
  }
}

for (const engine of engines) {
  /**
   * Leases (`proxy.leases.enabled`) over three proxy processes sharing one grant: each
   * admits requests out of its slice in memory, and the caps hold exactly as they do
   * request by request.
   */
  describe(`leases over three proxy processes (${engine})`, function () {
    this.timeout(120_000);
    let fx: ProxyFixture;
    let spawned: SpawnedProxies;
    const proxy = (i: number) => spawned.proxies[i % spawned.proxies.length] as ProxyProcess;
    /** Lease rows of the grant: one per slice a proxy holds. */
    const leaseRows = (grantId: string) =>
      fx.as.database
        .db('reservations')
        .where({ grant_id: grantId })
        .where('id', 'like', `${LEASE_ID_PREFIX}%`)
        .select('id', 'proxy_id', 'requests', 'tokens', 'micro_usd');

    /** How often a proxy asked the others for their slices of the grant (the revocation log). */
    const reclaims = async (grantId: string) =>
      (await fx.as.database.db('revocations').where({ grant_id: grantId, reason: 'leases_reclaimed' }))
        .length;

    before(async () => {
      fx = await startProxyFixture(engine);
      // Slices are returned when the budget needs them, not because they idle.
      spawned = await spawnProxies(fx.as, fx.upstream, {
        count: 3,
        // A quick feed on SQLite too (see `feedsRead`).
        env: {
          ...LEASES_ON,
          MANDATE_PROXY_LEASE_IDLE_MS: '10000',
          MANDATE_REVOCATION_POLL_MS: String(POLL_MS),
        },
      });
    });
    after(async () => {
      await spawned?.close();
      await fx?.close();
    });
    beforeEach(() => fx.upstream.control.reset());

    it('200 streams, a quarter aborted by the client: generated ≤ charged ≤ the token cap, slices were taken', async () => {
      const cap = 6_000;
      const { accessToken: token, grantId } = await limitedGrant(fx, { maxTokens: cap }, 'openai:*:chat');
      await feedsRead();
      // Streams overlap: each takes ~20 chunks × 2 ms.
      fx.upstream.control.set({ chunkDelayMs: 2 });
      const since = fx.upstream.requests.length;
      const countsBefore = await sliceCounts(spawned.proxies);
      let mostSlices = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          mostSlices = Math.max(mostSlices, (await leaseRows(grantId)).length);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          chat(proxy(i).openaiBaseURL, token, i % 4 === 3 ? { abortAfter: 3 } : {}),
        ),
      );
      sampling = false;
      await sampler;
      // A slice taken late in the burst (room freed by aborted streams) may still be held,
      // idle, with room in it (its idle return is 10 s away): ask for it back as another
      // proxy would, through the log, so only requests' reservations could stay open.
      await createBudgetStore(fx.as.database.db, Date.now).reclaimLeases(grantId, 'the-test');
      await eventually(
        () => leaseRows(grantId),
        (rows) => rows.length === 0,
      );
      const totals = await settledCounters(fx, grantId);
      const generated = fx.upstream.generatedTotal((r) => r.seq >= since);
      const served = outcomes.filter((o) => o.ok).length;
      const countsAfter = await sliceCounts(spawned.proxies);
      const slices = countsAfter.slices - countsBefore.slices;
      const admissions = countsAfter.admissions - countsBefore.admissions;
      const refused = outcomes.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
      console.log(
        `      [${engine}] ${JSON.stringify({
          served,
          aborted: outcomes.filter((o) => o.ok && o.aborted).length,
          refused: refused.length,
          generated: generated.inputTokens + generated.outputTokens,
          charged: totals.tokens,
          cap,
          mostSlices,
          slices,
          admissions,
        })}`,
      );
      // A cap this tight is mostly held by the worst cases in flight: slices shrink to
      // none, and most requests reserve on their own.
      expect(mostSlices, 'slices were taken').to.be.at.least(1);
      expect(admissions, 'admitted out of slices').to.be.at.least(slices);
      for (const r of refused)
        expect(r).to.deep.equal(
          r.status === 429
            ? { ok: false, status: 429, code: 'limit_busy', retryAfter: '1' }
            : { ok: false, status: 403, code: 'limit_reached', retryAfter: null },
        );
      expect(served, 'some fit').to.be.at.least(10);
      expect(refused.length, 'the cap refuses some').to.be.at.least(1);
      expect(generated.requests, 'each request served reached the fake once').to.equal(served);
      expect(totals.requests).to.equal(served);
      expect(totals.tokens, 'charged at least what was generated').to.be.at.least(
        generated.inputTokens + generated.outputTokens,
      );
      expect(totals.tokens, 'never above the cap').to.be.at.most(cap);
    });

    it('a roomy budget: 300 requests over the three need a handful of slices, and the ledger is exact', async () => {
      const { accessToken: token, grantId } = await limitedGrant(
        fx,
        { maxRequests: 100_000, maxTokens: 10_000_000 },
        'openai:*:chat',
      );
      await feedsRead();
      const countsBefore = await sliceCounts(spawned.proxies);
      const since = fx.upstream.requests.length;
      // Three waves of a hundred at once.
      const outcomes: Outcome[] = [];
      for (let wave = 0; wave < 3; wave++)
        outcomes.push(
          ...(await Promise.all(Array.from({ length: 100 }, (_, i) => chat(proxy(i).openaiBaseURL, token)))),
        );
      const countsAfter = await sliceCounts(spawned.proxies);
      const slices = countsAfter.slices - countsBefore.slices;
      const admissions = countsAfter.admissions - countsBefore.admissions;
      console.log(
        `      [${engine}] ${JSON.stringify({ served: outcomes.filter((o) => o.ok).length, slices, admissions })}`,
      );
      expect(outcomes.every((o) => o.ok)).to.equal(true);
      expect(admissions, 'every request out of a slice').to.equal(300);
      expect(slices, 'a slice serves many').to.be.at.most(30);
      // The slices are still held (their idle return is 10 s away); what was used of them
      // is settled in the ledger within the flush interval.
      const generated = fx.upstream.generatedTotal((r) => r.seq >= since);
      const whole = await eventually(
        async () =>
          ((await createBudgetStore(fx.as.database.db, Date.now).ledger([grantId])).get(grantId) ?? []).find(
            (e) => e.scope === '*',
          )?.settled,
        (settled) => settled?.requests === 300,
      );
      expect(whole?.tokens, 'settled exactly what the fake generated').to.equal(
        generated.inputTokens + generated.outputTokens,
      );
    });

    it('a nearly spent budget: every request that fits is served, whichever proxy it reaches', async () => {
      const { accessToken: token, grantId } = await limitedGrant(fx, { maxRequests: 10 }, 'openai:*:chat');
      // One after another, round the three proxies: each takes a slice while there is room
      // for one, and the last requests reach proxies whose own slices are spent while the
      // others still hold room.
      const since = fx.upstream.requests.length;
      const outcomes: Outcome[] = [];
      for (let i = 0; i < 10; i++)
        outcomes.push(await chat(proxy(i).openaiBaseURL, token, { stream: false }));
      expect(outcomes.map((o) => o.ok)).to.deep.equal(Array(10).fill(true));
      expect(await chat(proxy(10).openaiBaseURL, token, { stream: false })).to.deep.equal({
        ok: false,
        status: 403,
        code: 'limit_reached',
        retryAfter: null,
      });
      const totals = await settledCounters(fx, grantId);
      expect(totals.requests).to.equal(10);
      expect(
        fx.upstream.requests.slice(since).filter((r) => r.route === '/v1/chat/completions'),
      ).to.have.length(10);
    });

    it('a slice held idle at one proxy is reclaimed by the others when the rest of the budget is spent', async () => {
      const { accessToken: token, grantId } = await limitedGrant(fx, { maxRequests: 10 }, 'openai:*:chat');
      // A slice taken before a process reads the grant's lowered limits is returned when it
      // does (it may be sized by the old ones): let every process read them first.
      await feedsRead();
      // The first proxy takes a slice and keeps it (its idle return is 10 s away)...
      const first = 1;
      expect((await chat(proxy(0).openaiBaseURL, token, { stream: false })).ok).to.equal(true);
      const [held] = await leaseRows(grantId);
      expect(held, 'a slice at the first proxy').to.not.equal(undefined);
      // ...while the other two spend the rest, up to the last request that fits.
      const outcomes: Outcome[] = [];
      for (let i = first; i < 10; i++)
        outcomes.push(await chat(proxy(1 + (i % 2)).openaiBaseURL, token, { stream: false }));
      expect(outcomes.map((o) => o.ok)).to.deep.equal(Array(10 - first).fill(true));
      expect(await reclaims(grantId), 'the idle slice was asked back').to.be.at.least(1);
      expect(await chat(proxy(2).openaiBaseURL, token, { stream: false })).to.deep.include({
        ok: false,
        status: 403,
        code: 'limit_reached',
      });
      expect((await settledCounters(fx, grantId)).requests).to.equal(10);
    });

    it('a lowered limit reaches every slice: the next request at each proxy is refused', async () => {
      const { accessToken: token, grantId } = await limitedGrant(fx, { maxRequests: 1000 }, 'openai:*:chat');
      await feedsRead();
      // Each proxy serves a few and holds a slice.
      for (let i = 0; i < 9; i++) expect((await chat(proxy(i).openaiBaseURL, token)).ok).to.equal(true);
      const slices = await leaseRows(grantId);
      expect(new Set(slices.map((s) => s.proxy_id)).size, 'a slice at each proxy').to.equal(3);
      const started = Date.now();
      const lowered = await grantStoreOf(fx).lowerLimits(grantId, { maxRequests: 9 });
      expect(lowered.ok).to.equal(true);
      // Each proxy returns its slice when the revocation log says so.
      await eventually(
        () => leaseRows(grantId),
        (rows) => rows.length === 0,
      );
      console.log(`      [${engine}] every slice returned ${Date.now() - started} ms after the lowering`);
      for (let i = 0; i < 3; i++)
        expect(await chat(proxy(i).openaiBaseURL, token), `proxy ${i}`).to.deep.include({
          ok: false,
          status: 403,
          code: 'limit_reached',
        });
      expect((await settledCounters(fx, grantId)).requests).to.equal(9);
    });

    it('a revocation returns every slice', async () => {
      const { accessToken: token, grantId } = await limitedGrant(fx, { maxRequests: 1000 }, 'openai:*:chat');
      for (let i = 0; i < 6; i++) expect((await chat(proxy(i).openaiBaseURL, token)).ok).to.equal(true);
      expect((await leaseRows(grantId)).length).to.be.at.least(1);
      await createRevocationStore(fx.as.database.db, Date.now).revokeGrant(grantId, 'cli');
      await eventually(
        () => leaseRows(grantId),
        (rows) => rows.length === 0,
      );
      for (let i = 0; i < 3; i++)
        expect(await chat(proxy(i).openaiBaseURL, token), `proxy ${i}`).to.deep.include({
          ok: false,
          status: 401,
        });
      expect((await settledCounters(fx, grantId)).requests).to.equal(6);
    });
  });

  describe(`a proxy process killed holding a slice (${engine})`, function () {
    this.timeout(60_000);
    let fx: ProxyFixture;
    let spawned: SpawnedProxies;

    before(async () => {
      fx = await startProxyFixture(engine);
      // Quick beats so the survivor notices the dead one within a second.
      spawned = await spawnProxies(fx.as, fx.upstream, {
        count: 2,
        env: {
          ...LEASES_ON,
          MANDATE_PROXY_HEARTBEAT_MS: '100',
          MANDATE_PROXY_REAP_AFTER_MS: '600',
          MANDATE_REVOCATION_POLL_MS: String(POLL_MS),
        },
      });
    });
    after(async () => {
      await spawned?.close();
      await fx?.close();
    });

    it('the survivor reaps the slice: charged in full, recorded, the cap never passed', async () => {
      const cap = 20;
      const { accessToken: token, grantId } = await limitedGrant(fx, { maxRequests: cap }, 'openai:*:chat');
      const db = fx.as.database.db;
      const [doomed, survivor] = spawned.proxies as [ProxyProcess, ProxyProcess];
      await feedsRead();
      for (let i = 0; i < 3; i++) expect((await chat(doomed.openaiBaseURL, token)).ok).to.equal(true);
      const [slice] = await db('reservations').where({ grant_id: grantId });
      expect(slice?.id).to.match(/^lease-/);
      const held = Number(slice.requests);
      const before = await createBudgetStore(db, Date.now).charged(grantId, 'lifetime');

      expect(await doomed.kill('SIGKILL')).to.deep.include({ signal: 'SIGKILL' });
      const after = await eventually(
        () => createBudgetStore(db, Date.now).charged(grantId, 'lifetime'),
        (c) => c.openReservations === 0,
      );
      // What the slice held stays charged: nobody is left to say what was used of it.
      expect(after.requests, 'charged as before the kill').to.equal(before.requests);
      expect(after.requests).to.be.at.least(3 + 1);
      expect(after.requests).to.be.at.most(cap);
      const ledger = (await createBudgetStore(db, Date.now).ledger([grantId])).get(grantId) ?? [];
      expect(ledger.find((e) => e.scope === '*')?.open.requests).to.equal(0);
      // Its usage record says what was reaped (status 0, failed).
      const reaped = await eventually(
        () => createUsageStore(db).forGrant(grantId),
        (rows) => rows.some((r) => r.id === slice.id),
      );
      expect(reaped.find((r) => r.id === slice.id)).to.deep.include({ status: 0, upstreamFailed: true });
      expect(held).to.be.at.least(1);

      // The rest is served by the survivor, exactly to the cap.
      let served = 0;
      for (let i = 0; i < cap; i++) if ((await chat(survivor.openaiBaseURL, token)).ok) served++;
      expect(served).to.equal(cap - after.requests);
      expect((await settledCounters(fx, grantId)).requests).to.equal(cap);
    });
  });
}
