import { expect } from 'chai';
import OpenAI, { APIError } from 'openai';
import { engines } from '../../support/databases.ts';
import { chatUsage } from '../../support/fake-upstream/index.ts';
import { settledCounters } from '../../support/ledger-reads.ts';
import { limitedGrant, lowerLimits } from '../../support/limited-grant.ts';
import type { ProxyFixture } from '../../support/proxy-fixture.ts';
import { proxyFixtureHooks } from '../../support/proxy-fixture-hooks.ts';

/** µ$ per token; a model maximum far above the default bound, so "all that remains" would show. */
const PRICES = {
  openai: {
    'gpt-4o-mini': { input: 1, cachedInput: 1, output: 2, contextWindow: 128_000, maxOutputTokens: 100_000 },
  },
};
const DEFAULT_OUTPUT = 4096;
const BODY = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'count the ways' }] };

type Outcome =
  | { ok: true }
  | { ok: false; status: number | undefined; code: string | undefined; retryAfter: string | null };

/**
 * Small requests without an output bound, all at once, on a budget that fits them: each
 * reserves its input bound plus the default output bound (never all that remains), so
 * they are all served; where requests in flight hold the room, the refusal is a 429
 * `limit_busy` with retry-after, and the retry is served.
 */
for (const engine of engines) {
  describe(`no false refusals under concurrency (${engine})`, function () {
    this.timeout(120_000);
    let fx: ProxyFixture;

    proxyFixtureHooks(engine, { prices: PRICES }, (started) => {
      fx = started;
    });

    async function cappedGrant(maxSpendMicroUsd: number) {
      const { accessToken, grantId } = await limitedGrant(fx, { maxSpendMicroUsd }, 'openai:*:chat');
      return { token: accessToken, grantId };
    }

    async function send(token: string): Promise<Outcome> {
      const client = new OpenAI({ apiKey: token, baseURL: fx.proxy.openaiBaseURL, maxRetries: 0 });
      try {
        for await (const _ of await client.chat.completions.create({ ...BODY, stream: true }));
        return { ok: true };
      } catch (err) {
        if (!(err instanceof APIError)) throw err;
        return {
          ok: false,
          status: err.status,
          code: (err.error as { code?: string } | undefined)?.code,
          retryAfter: err.headers?.get('retry-after') ?? null,
        };
      }
    }

    const settled = (grantId: string) => settledCounters(fx, grantId);

    /** What one request reserves: its input bound (its body's bytes) and the default output bound. */
    const reservation = () =>
      Buffer.byteLength(JSON.stringify({ ...BODY, stream: true })) * 2 + DEFAULT_OUTPUT * 2;

    it('200 concurrent small requests on a budget that fits them all are all served, with zero overrun', async () => {
      fx.upstream.control.set({ chunkDelayMs: 3 });
      const cap = 200 * reservation();
      const { token, grantId } = await cappedGrant(cap);
      const since = fx.upstream.requests.length;
      const outcomes = await Promise.all(Array.from({ length: 200 }, () => send(token)));
      const served = outcomes.filter((o) => o.ok).length;
      const refused = outcomes.filter((o) => !o.ok);
      expect(refused, 'refusals').to.deep.equal([]);
      expect(served).to.equal(200);
      const forwarded = fx.upstream.requests.slice(since).filter((r) => r.route === '/v1/chat/completions');
      expect(forwarded).to.have.length(200);
      // The default bound was sent upstream, not the model's maximum or all that remains.
      for (const r of forwarded) {
        const json = r.json as Record<string, unknown>;
        expect(json.max_completion_tokens ?? json.max_tokens).to.equal(DEFAULT_OUTPUT);
      }
      const charged = await settled(grantId);
      expect(charged.openReservations).to.equal(0);
      expect(charged.requests).to.equal(200);
      expect(charged.microUsd, 'never above the cap').to.be.at.most(cap);
      const usages = forwarded.map((r) =>
        chatUsage(r.json as Record<string, unknown>, fx.upstream.control.settings),
      );
      expect(charged.tokens).to.equal(usages.reduce((sum, u) => sum + u.total_tokens, 0));
    });

    it('refusals caused by requests in flight are 429 limit_busy with retry-after; a retry after them is served', async () => {
      // Slow answers: every request arrives while the first ones still hold the room.
      fx.upstream.control.set({ chunkDelayMs: 25 });
      const cap = 3 * reservation() + 10;
      const { token, grantId } = await cappedGrant(cap);
      const outcomes = await Promise.all(Array.from({ length: 30 }, () => send(token)));
      const refused = outcomes.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
      expect(outcomes.length - refused.length, 'served at once').to.be.at.least(3);
      expect(refused.length, 'some wait for the room').to.be.at.least(1);
      for (const r of refused)
        expect(r).to.deep.equal({ ok: false, status: 429, code: 'limit_busy', retryAfter: '1' });
      await settled(grantId);
      // Settled usage is far below the cap: each retry is served.
      fx.upstream.control.set({ chunkDelayMs: 0 });
      for (const _ of refused) expect(await send(token)).to.deep.equal({ ok: true });
      const charged = await settled(grantId);
      expect(charged.requests).to.equal(30);
      expect(charged.microUsd, 'never above the cap').to.be.at.most(cap);
    });

    it('once settled usage leaves no room, the refusal is the cap: 403 limit_reached, x-should-retry false', async () => {
      const { token, grantId } = await cappedGrant(reservation() + 10);
      expect(await send(token)).to.deep.equal({ ok: true });
      const spent = (await settled(grantId)).microUsd;
      // What is left is below the input bound plus one output token: nothing can fit.
      await lowerLimits(fx, grantId, { maxSpendMicroUsd: spent + 5 });
      const client = new OpenAI({ apiKey: token, baseURL: fx.proxy.openaiBaseURL, maxRetries: 0 });
      const err = (await client.chat.completions.create(BODY).catch((e: unknown) => e)) as APIError;
      expect(err.status).to.equal(403);
      expect((err.error as { code?: string }).code).to.equal('limit_reached');
      expect(err.headers?.get('x-should-retry')).to.equal('false');
    });
  });
}
