import { expect } from 'chai';
import { APIError } from 'openai';
import * as oidc from 'openid-client';
import { createBudgetStore } from '../../../src/storage/budget-store.ts';
import { createGrantStore } from '../../../src/storage/grant-store.ts';
import { createRevocationStore } from '../../../src/storage/revocation-store.ts';
import { engines } from '../../support/databases.ts';
import { claimsOf } from '../../support/mint-token.ts';
import { openaiClient } from '../../support/proxy-clients.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';
import { type ProxyProcess, type SpawnedProxies, spawnProxies } from '../../support/spawn-proxies.ts';

const SCOPE = 'openai:*:chat';
const MESSAGES = [{ role: 'user' as const, content: 'hello from behind the load balancer' }];

/** A plain chat completion through `proxy`; the request id the proxy answered with. */
async function plainChat(proxy: ProxyProcess, token: string): Promise<string> {
  const { data, response } = await openaiClient(proxy.openaiBaseURL, token)
    .chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES })
    .withResponse();
  expect(data.choices[0]?.message.content).to.be.a('string').and.not.equal('');
  return response.headers.get('x-mandate-request-id') as string;
}

/** A streamed chat completion through `proxy`, read to the end; its request id. */
async function streamedChat(proxy: ProxyProcess, token: string): Promise<string> {
  const { data, response } = await openaiClient(proxy.openaiBaseURL, token)
    .chat.completions.create({
      model: 'gpt-4o-mini',
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
    })
    .withResponse();
  let text = '';
  for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
  expect(text).to.not.equal('');
  return response.headers.get('x-mandate-request-id') as string;
}

/**
 * A slow stream through `proxy` (`chunkCount` deltas, 10 ms apart), started and read in
 * the background: its request id once the head arrived, and the deltas it got in all.
 */
async function slowStream(
  fx: ProxyFixture,
  proxy: ProxyProcess,
  token: string,
  chunkCount: number,
): Promise<{ id: string; deltas: Promise<number> }> {
  const content = `slow stream ${Math.random()}`;
  fx.upstream.control.next(
    { settings: { chunkCount, chunkDelayMs: 10 } },
    { match: (r) => JSON.stringify(r.json).includes(content) },
  );
  const { data, response } = await openaiClient(proxy.openaiBaseURL, token)
    .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], stream: true })
    .withResponse();
  const deltas = (async () => {
    let n = 0;
    for await (const chunk of data) if (chunk.choices[0]?.delta.content) n += 1;
    return n;
  })();
  return { id: response.headers.get('x-mandate-request-id') as string, deltas };
}

/** The status a chat through `proxy` gets: 200, or the HTTP status of its refusal. */
async function statusOf(proxy: ProxyProcess, token: string): Promise<number> {
  try {
    await plainChat(proxy, token);
    return 200;
  } catch (err) {
    if (err instanceof APIError && err.status !== undefined) return err.status;
    throw err;
  }
}

/** Waits until `check` holds (polling every 25 ms); fails after `ms`. */
async function eventually(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  for (const deadline = Date.now() + ms; !(await check()); ) {
    if (Date.now() > deadline) throw new Error(`not so after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

for (const engine of engines) {
  describe(`several proxy processes behind one public URL (${engine})`, function () {
    this.timeout(60_000);
    let fx: ProxyFixture;
    let spawned: SpawnedProxies;
    let proxies: ProxyProcess[];

    before(async () => {
      fx = await startProxyFixture(engine);
      spawned = await spawnProxies(fx.as, fx.upstream, { count: 3 });
      proxies = spawned.proxies;
    });
    after(async () => {
      await spawned?.close();
      await fx?.close();
    });
    beforeEach(() => fx.upstream.control.reset());

    const usageRows = (ids: string[]) =>
      fx.as.database.db('usage_records').whereIn('id', ids).select('id', 'grant_id', 'status');

    it('each process listens on its own port, all with the one public URL as the resource', async () => {
      expect(new Set(proxies.map((p) => p.url)).size).to.equal(3);
      expect(new Set(proxies.map((p) => p.pid)).size).to.equal(3);
      for (const proxy of proxies) {
        expect(proxy.url).to.not.equal(fx.as.proxyUrl);
        const metadata = (await (
          await fetch(`${proxy.url}/.well-known/oauth-protected-resource`)
        ).json()) as { resource: string };
        expect(metadata.resource).to.equal(fx.as.proxyUrl);
      }
    });

    it('plain and streamed chats round-robin through all three succeed with the stored key, each usage recorded', async () => {
      const { accessToken } = await fx.grant(SCOPE);
      const grantId = claimsOf(accessToken).grant_id as string;
      const seenBefore = fx.upstream.requests.length;
      const served: string[][] = proxies.map(() => []);
      for (let i = 0; i < 6; i++) {
        const proxy = proxies[i % 3] as ProxyProcess;
        const id = i % 2 === 0 ? await plainChat(proxy, accessToken) : await streamedChat(proxy, accessToken);
        expect(id).to.be.a('string').and.not.equal('');
        served[i % 3]?.push(id);
      }
      const seen = fx.upstream.requests.slice(seenBefore);
      expect(seen).to.have.length(6);
      for (const request of seen) {
        expect(request.headers.authorization).to.equal(`Bearer ${fx.upstream.openaiKey}`);
      }
      // Each process logged exactly the requests it served: the work really was spread.
      // (A stream's line is written once the response has ended, a moment after the client.)
      const logged = (i: number) => (proxies[i] as ProxyProcess).logs.join('\n');
      await eventually(() => served.every((ids, i) => ids.every((id) => logged(i).includes(id))));
      served.forEach((_, i) => {
        for (const id of served.filter((_, j) => j !== i).flat()) expect(logged(i)).to.not.include(id);
      });
      // Three writers, one database: every record arrives (each process flushes on its own timer).
      const ids = served.flat();
      let rows: Array<{ grant_id: string }> = [];
      await eventually(async () => {
        rows = await usageRows(ids);
        return rows.length === ids.length;
      });
      for (const row of rows) expect(row.grant_id).to.equal(grantId);
    });

    it('a revoked grant is refused with 401 by every process within a bounded time', async () => {
      const issued = await fx.grant(SCOPE);
      for (const proxy of proxies) expect(await statusOf(proxy, issued.accessToken)).to.equal(200);
      await oidc.tokenRevocation(fx.oidc, issued.refreshToken, { token_type_hint: 'refresh_token' });
      // Each process learns of it through its own revocation feed (NOTIFY on PostgreSQL,
      // a 250 ms poll on SQLite): well within the bound.
      const bound = 5000;
      const started = Date.now();
      await Promise.all(
        proxies.map(async (proxy) => {
          let status = await statusOf(proxy, issued.accessToken);
          while (status !== 401 && Date.now() - started < bound) {
            await new Promise((resolve) => setTimeout(resolve, 50));
            status = await statusOf(proxy, issued.accessToken);
          }
          expect(status, `pid ${proxy.pid} after ${Date.now() - started} ms`).to.equal(401);
        }),
      );
      const refused = await openaiClient((proxies[0] as ProxyProcess).openaiBaseURL, issued.accessToken)
        .chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(refused).to.be.instanceOf(APIError);
      expect((refused as APIError).message).to.include('revoked');
    });

    it('a revoke through the AS ends the running streams of the grant at every process', async () => {
      const issued = await fx.grant(SCOPE);
      const streams = await Promise.all(proxies.map((p) => slowStream(fx, p, issued.accessToken, 500)));
      await oidc.tokenRevocation(fx.oidc, issued.refreshToken, { token_type_hint: 'refresh_token' });
      const revoked = performance.now();
      const deltas = await Promise.all(streams.map((s) => s.deltas));
      const tookMs = performance.now() - revoked;
      console.log(
        `      ${engine}: revoke returned → streams ended at all three processes: ${tookMs.toFixed(0)} ms`,
      );
      expect(tookMs).to.be.below(engine === 'pg' ? 100 : 1000);
      for (const n of deltas) expect(n).to.be.below(500);
      let rows: Array<{ id: string }> = [];
      await eventually(async () => {
        rows = await usageRows(streams.map((s) => s.id));
        return rows.length === streams.length;
      });
    });

    it('SIGTERM with long streams: drained until MANDATE_PROXY_DRAIN_TIMEOUT_MS, then cut; every request recorded, counters match', async () => {
      const victim = await spawned.spawn({ MANDATE_PROXY_DRAIN_TIMEOUT_MS: '1000' });
      const db = fx.as.database.db;
      const clock = () => Date.now();
      const { accessToken } = await fx.grant(SCOPE);
      const grantId = claimsOf(accessToken).grant_id as string;
      const grants = createGrantStore(db, clock, createRevocationStore(db, clock));
      expect((await grants.lowerLimits(grantId, { maxRequests: 100 })).ok).to.equal(true);
      // The victim is new: its first sight of the grant reads the cap.
      const streams = [
        await slowStream(fx, victim, accessToken, 20),
        await slowStream(fx, victim, accessToken, 2000),
        await slowStream(fx, victim, accessToken, 2000),
      ];
      const started = performance.now();
      const exit = await victim.kill('SIGTERM');
      const tookMs = performance.now() - started;
      expect(exit, victim.logs.join('\n')).to.deep.equal({ code: 0, signal: null });
      const deltas = await Promise.all(streams.map((s) => s.deltas));
      console.log(`      ${engine}: SIGTERM → exit ${tookMs.toFixed(0)} ms; deltas ${deltas.join(', ')}`);
      expect(deltas[0]).to.equal(20);
      for (const n of deltas.slice(1)) expect(n).to.be.below(2000);
      expect(tookMs).to.be.at.least(950);
      expect(victim.stderr.join('\n')).to.not.include('usage records lost');
      const ids = streams.map((s) => s.id);
      const rows = await fx.as.database.db('usage_records').whereIn('id', ids);
      expect(rows.map((r) => r.id).sort()).to.deep.equal([...ids].sort());
      const period = (await db('grant_counters').where({ grant_id: grantId }).first())?.period;
      const charged = await createBudgetStore(db, clock).charged(grantId, period);
      expect(charged.openReservations).to.equal(0);
      expect(charged.requests).to.equal(3);
      expect(charged.tokens).to.equal(
        rows.reduce((sum, r) => sum + Number(r.input_tokens) + Number(r.output_tokens), 0),
      );
    });

    it('SIGTERM: the process stops gracefully and the usage of the requests it served is stored', async () => {
      const { accessToken } = await fx.grant(SCOPE);
      const grantId = claimsOf(accessToken).grant_id as string;
      const victim = proxies[2] as ProxyProcess;
      const ids = [await plainChat(victim, accessToken), await streamedChat(victim, accessToken)];
      // At once, before the usage writer's timed flush (250 ms) would have written them: it is
      // the stop on SIGTERM that writes them (killed with SIGKILL here, they are lost).
      const exit = await victim.kill('SIGTERM');
      expect(exit, victim.logs.join('\n')).to.deep.equal({ code: 0, signal: null });
      expect(victim.stderr.join('\n')).to.not.include('usage records lost');
      const rows = await usageRows(ids);
      expect(rows.map((r) => r.id).sort()).to.deep.equal([...ids].sort());
      for (const row of rows) expect(row.grant_id).to.equal(grantId);
      // The others carry on.
      for (const proxy of proxies.slice(0, 2)) expect(await statusOf(proxy, accessToken)).to.equal(200);
    });
  });
}
