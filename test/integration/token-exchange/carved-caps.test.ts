import { expect } from 'chai';
import { APIError } from 'openai';
import type * as oidc from 'openid-client';
import { engines } from '../../support/databases.ts';
import { settledCounters } from '../../support/ledger-reads.ts';
import { grantIdOf, lowerLimits } from '../../support/limited-grant.ts';
import { authorize, discover, exchange } from '../../support/oauth-flow.ts';
import { openaiClient } from '../../support/proxy-clients.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';
import { type ProxyProcess, type SpawnedProxies, spawnProxies } from '../../support/spawn-proxies.ts';
import { exchangeToken } from '../../support/token-exchange.ts';
import { createUserAgent } from '../../support/user-agent.ts';

const hello = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hello' }] };

type Outcome = { ok: true } | { ok: false; status: number; code: string | undefined };

/**
 * A child's requests reserve on its own ledger and on every ancestor's in one
 * transaction: however many run at once, from the children and the parent together,
 * no grant of the chain passes its cap, and what the parent's ledger counts is what
 * the fake upstream served.
 */
for (const engine of engines) {
  describe(`carved caps of token exchange children under concurrency (${engine})`, function () {
    this.timeout(60_000);
    let fx: ProxyFixture;
    let apps = 0;
    before(async () => {
      fx = await startProxyFixture(engine);
    });
    after(async () => {
      await fx.close();
    });
    beforeEach(() => {
      fx.upstream.control.reset();
      fx.upstream.control.set({ chunkDelayMs: 2 });
    });

    async function appWith(scope: string) {
      const app = await fx.addApp(`Agent ${++apps}`);
      const config: oidc.Configuration = await discover(fx.as, app.clientId);
      return { config, ...(await app.grant(scope)) };
    }

    async function child(config: oidc.Configuration, token: string, actor: string, limits?: object) {
      const answer = await exchangeToken(config, token, {
        actor,
        ...(limits
          ? { authorization_details: JSON.stringify([{ type: 'ai_access', provider: 'openai', limits }]) }
          : {}),
      });
      expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
      return String(answer.body.access_token);
    }

    async function call(token: string, base = fx.proxy.openaiBaseURL): Promise<Outcome> {
      try {
        const chunks = await openaiClient(base, token).chat.completions.create({
          ...hello,
          stream: true,
          max_tokens: 50,
        });
        for await (const _ of chunks);
        return { ok: true };
      } catch (err) {
        if (!(err instanceof APIError)) throw err;
        return {
          ok: false,
          status: err.status ?? 0,
          code: (err.error as { code?: string } | undefined)?.code,
        };
      }
    }

    function expectRefusalsAreCaps(outcomes: Outcome[]) {
      for (const o of outcomes.filter((x): x is Extract<Outcome, { ok: false }> => !x.ok))
        expect(`${o.status} ${o.code}`).to.be.oneOf(['403 limit_reached', '429 limit_busy']);
    }

    it("a child stopped by its parent's monthly cap is told the cap is its parent's and when that month ends", async () => {
      const app = await fx.addApp(`Agent ${++apps}`);
      const config = await discover(fx.as, app.clientId);
      const parent = await exchange(
        await authorize(config, fx.as, createUserAgent(), {
          redirectUri: fx.client.redirectUri,
          scope: 'openai:*:chat',
          username: fx.username,
          password: fx.password,
          extraParams: {
            authorization_details: JSON.stringify([
              { type: 'ai_access', provider: 'openai', limits: { max_requests: 2, period: 'month' } },
            ]),
          },
          period: 'month',
        }),
      );
      const kid = await child(config, parent.access_token, 'monthly-worker');
      expect((await call(parent.access_token)).ok).to.equal(true);
      expect((await call(kid)).ok).to.equal(true);
      // The child's own cap (2, carved) has room; the parent's month is full.
      const now = new Date();
      const monthEnd = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
      try {
        await openaiClient(fx.proxy.openaiBaseURL, kid).chat.completions.create(hello);
        expect.fail('the third request of the month was served');
      } catch (err) {
        if (!(err instanceof APIError)) throw err;
        expect(err.status).to.equal(403);
        expect(err.message).to.include('it is a limit of the access this one was carved from');
        expect(err.message).to.include(`it resets at ${monthEnd}`);
      }
    });

    it('100 concurrent requests of two children and a grandchild never pass the parent request cap', async () => {
      const parent = await appWith('openai:*:chat');
      const parentId = grantIdOf(parent.accessToken);
      await lowerLimits(fx, parentId, { maxRequests: 12 });
      // Each child asks more than the parent has: its caps are clamped to what is left.
      const a = await child(parent.config, parent.accessToken, 'a', { max_requests: 50 });
      const b = await child(parent.config, parent.accessToken, 'b', { max_requests: 8 });
      const c = await child(parent.config, a, 'c', { max_requests: 5 });
      const since = fx.upstream.requests.length;
      const tokens = [a, b, c];
      const outcomes = await Promise.all(
        Array.from({ length: 100 }, (_, i) => call(tokens[i % 3] as string)),
      );
      const served = outcomes.filter((o) => o.ok).length;
      const forwarded = fx.upstream.requests.slice(since).filter((r) => r.route === '/v1/chat/completions');
      expect(forwarded, 'upstream saw exactly what was served').to.have.length(served);
      expect(served, 'the parent cap holds').to.be.at.most(12);
      expect(served).to.be.at.least(1);
      expectRefusalsAreCaps(outcomes);
      const parentCounters = await settledCounters(fx, parentId);
      expect(parentCounters.requests, 'the parent counts every child request').to.equal(served);
      const [ca, cb, cc] = await Promise.all([a, b, c].map((t) => settledCounters(fx, grantIdOf(t))));
      expect((ca?.requests ?? 0) + (cb?.requests ?? 0)).to.equal(served, 'a counts c too');
      expect(cb?.requests).to.be.at.most(8);
      expect(cc?.requests).to.be.at.most(5);
      expect(ca?.requests).to.be.at.least(cc?.requests ?? 0);
    });

    it("the parent's own spend plus its children's never passes the parent's token cap", async () => {
      const parent = await appWith('openai:*:chat');
      const parentId = grantIdOf(parent.accessToken);
      await lowerLimits(fx, parentId, { maxTokens: 2_000 });
      const a = await child(parent.config, parent.accessToken, 'a');
      const b = await child(parent.config, parent.accessToken, 'b', { max_tokens: 1_000 });
      const since = fx.upstream.requests.length;
      const tokens = [parent.accessToken, a, b];
      const outcomes = await Promise.all(
        Array.from({ length: 100 }, (_, i) => call(tokens[i % 3] as string)),
      );
      const served = outcomes.filter((o) => o.ok).length;
      const forwarded = fx.upstream.requests.slice(since).filter((r) => r.route === '/v1/chat/completions');
      expect(forwarded).to.have.length(served);
      expect(served).to.be.at.least(1);
      expect(served, 'the cap binds').to.be.below(100);
      expectRefusalsAreCaps(outcomes);
      const parentCounters = await settledCounters(fx, parentId);
      expect(parentCounters.tokens, 'never above the parent cap').to.be.at.most(2_000);
      expect(parentCounters.requests).to.equal(served);
      const [ca, cb] = await Promise.all([a, b].map((t) => settledCounters(fx, grantIdOf(t))));
      expect(cb?.tokens).to.be.at.most(1_000);
      // The parent's ledger is its own requests plus its children's.
      const own = outcomes.filter((o, i) => o.ok && i % 3 === 0).length;
      expect(parentCounters.requests - (ca?.requests ?? 0) - (cb?.requests ?? 0)).to.equal(own);
    });

    it("a cap added to the parent later counts the child's earlier requests and binds the child at once", async () => {
      const parent = await appWith('openai:*:chat');
      const parentId = grantIdOf(parent.accessToken);
      const a = await child(parent.config, parent.accessToken, 'a');
      expect(await call(a)).to.deep.equal({ ok: true });
      expect(await call(a)).to.deep.equal({ ok: true });
      await fx.proxy.usage.flush();
      expect((await settledCounters(fx, parentId)).requests, 'the uncapped parent counted them').to.equal(2);
      await lowerLimits(fx, parentId, { maxRequests: 3 });
      expect(await call(a)).to.deep.equal({ ok: true });
      expect(await call(a)).to.deep.equal({ ok: false, status: 403, code: 'limit_reached' });
      expect((await settledCounters(fx, parentId)).requests).to.equal(3);
    });

    if (engine === 'pg')
      describe('across three proxy processes', () => {
        let spawned: SpawnedProxies;
        before(async () => {
          spawned = await spawnProxies(fx.as, fx.upstream, { count: 3 });
        });
        after(async () => {
          await spawned?.close();
        });

        it('100 concurrent child and parent requests spread over three proxies never pass the parent spend cap', async () => {
          const parent = await appWith('openai:*:chat');
          const parentId = grantIdOf(parent.accessToken);
          const cap = 400;
          await lowerLimits(fx, parentId, { maxSpendMicroUsd: cap });
          const a = await child(parent.config, parent.accessToken, 'a');
          const b = await child(parent.config, a, 'b');
          const since = fx.upstream.requests.length;
          const tokens = [parent.accessToken, a, b];
          const outcomes = await Promise.all(
            Array.from({ length: 100 }, (_, i) =>
              call(tokens[i % 3] as string, (spawned.proxies[i % 3] as ProxyProcess).openaiBaseURL),
            ),
          );
          const served = outcomes.filter((o) => o.ok).length;
          const forwarded = fx.upstream.requests
            .slice(since)
            .filter((r) => r.route === '/v1/chat/completions');
          expect(forwarded).to.have.length(served);
          expect(served).to.be.at.least(1);
          expect(served, 'the cap binds').to.be.below(100);
          expectRefusalsAreCaps(outcomes);
          const parentCounters = await settledCounters(fx, parentId);
          expect(parentCounters.microUsd, 'never above the parent cap').to.be.at.most(cap);
          expect(parentCounters.requests).to.equal(served);
          const [ca, cb] = await Promise.all([a, b].map((t) => settledCounters(fx, grantIdOf(t))));
          expect(ca?.microUsd).to.be.at.most(cap);
          expect(ca?.requests).to.be.at.least(cb?.requests ?? 0);
        });
      });
  });
}
