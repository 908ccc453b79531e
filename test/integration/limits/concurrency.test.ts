import { expect } from 'chai';
import { APIError } from 'openai';
import { DEFAULT_PRICES } from '../../../src/config/default-prices.ts';
import {
  costMicroUsd,
  findPrice,
  type ModelPrice,
  worstRatesFor,
} from '../../../src/proxy/limits/price-table.ts';
import { chatUsage } from '../../support/fake-upstream/index.ts';
import { settledCounters } from '../../support/ledger-reads.ts';
import { limitedGrant } from '../../support/limited-grant.ts';
import { openaiClient } from '../../support/proxy-clients.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';
import { type ProxyProcess, type SpawnedProxies, spawnProxies } from '../../support/spawn-proxies.ts';

const MODEL = 'gpt-4o-mini';
const STREAMS = 200;
/** Fits a handful of worst cases of the requests below at the shipped gpt-4o-mini prices. */
const CAP_MICRO_USD = 300;

type Outcome =
  | { ok: true }
  | { ok: false; status: number; code: string | undefined; retry: string | null; retryAfter: string | null };

/**
 * The proof: 200 simultaneous streams of one grant, spread over three proxy
 * processes sharing PostgreSQL, against a spend cap that fits only a few. Whatever the
 * interleaving, the charged total never passes the cap, every refusal is the cap's 403
 * (settled usage leaves no room) or a 429 `limit_busy` with retry-after (only requests
 * in flight stand in the way), and what was charged is exactly what the fake upstream reported, priced.
 */
describe('caps hold across three proxy processes under 200 concurrent streams (pg)', function () {
  this.timeout(120_000);
  let fx: ProxyFixture;
  let spawned: SpawnedProxies;
  const price = findPrice(DEFAULT_PRICES, 'openai', MODEL) as ModelPrice;

  before(async () => {
    fx = await startProxyFixture('pg');
    spawned = await spawnProxies(fx.as, fx.upstream, { count: 3 });
  });
  after(async () => {
    await spawned?.close();
    await fx?.close();
  });
  beforeEach(() => {
    fx.upstream.control.reset();
    // Streams overlap: each takes ~20 chunks × 3 ms.
    fx.upstream.control.set({ chunkDelayMs: 3 });
  });

  async function cappedGrant(cap = CAP_MICRO_USD): Promise<{ token: string; grantId: string }> {
    const { accessToken, grantId } = await limitedGrant(fx, { maxSpendMicroUsd: cap }, 'openai:*:chat');
    return { token: accessToken, grantId };
  }

  async function stream(baseURL: string, token: string, body: Record<string, unknown>): Promise<Outcome> {
    try {
      const chunks = await openaiClient(baseURL, token).chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'count the ways' }],
        stream: true,
        ...body,
      } as never);
      for await (const _ of chunks as unknown as AsyncIterable<unknown>);
      return { ok: true };
    } catch (err) {
      if (!(err instanceof APIError)) throw err;
      return {
        ok: false,
        status: err.status ?? 0,
        code: (err.error as { code?: string } | undefined)?.code,
        retry: err.headers?.get('x-should-retry') ?? null,
        retryAfter: err.headers?.get('retry-after') ?? null,
      };
    }
  }

  async function run(body: Record<string, unknown>, cap = CAP_MICRO_USD) {
    const { token, grantId } = await cappedGrant(cap);
    const since = fx.upstream.requests.length;
    const outcomes = await Promise.all(
      Array.from({ length: STREAMS }, (_, i) =>
        stream((spawned.proxies[i % spawned.proxies.length] as ProxyProcess).openaiBaseURL, token, body),
      ),
    );
    const charged = await settledCounters(fx, grantId);
    // What the upstream really answered, as it reported it.
    const forwarded = fx.upstream.requests.slice(since).filter((r) => r.route === '/v1/chat/completions');
    const usages = forwarded.map((r) =>
      chatUsage(r.json as Record<string, unknown>, fx.upstream.control.settings),
    );
    return { outcomes, charged, forwarded, usages, grantId };
  }

  function expectHeld(result: Awaited<ReturnType<typeof run>>) {
    const { outcomes, charged, forwarded, usages } = result;
    const served = outcomes.filter((o) => o.ok).length;
    const refused = outcomes.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
    expect(served, 'some streams fit').to.be.at.least(1);
    expect(refused.length, 'most are refused').to.be.at.least(STREAMS / 2);
    for (const r of refused)
      expect(r).to.deep.equal(
        r.status === 429
          ? { ok: false, status: 429, code: 'limit_busy', retry: null, retryAfter: '1' }
          : { ok: false, status: 403, code: 'limit_reached', retry: 'false', retryAfter: null },
      );
    expect(forwarded).to.have.length(served);
    expect(charged.openReservations).to.equal(0);
    expect(charged.microUsd, 'never above the cap').to.be.at.most(CAP_MICRO_USD);
    expect(charged.requests).to.equal(served);
    expect(charged.tokens).to.equal(usages.reduce((sum, u) => sum + u.total_tokens, 0));
    const priced = usages.reduce(
      (sum, u) =>
        sum +
        (costMicroUsd(price, {
          inputTokens: u.prompt_tokens,
          cachedInputTokens: u.prompt_tokens_details.cached_tokens,
          cacheWriteTokens: 0,
          outputTokens: u.completion_tokens,
          reasoningTokens: u.completion_tokens_details.reasoning_tokens,
        }) as number),
      0,
    );
    expect(charged.microUsd, 'exactly the reported usage, priced').to.equal(priced);
    return { served, refused: refused.length };
  }

  it('with max_tokens set by every request', async () => {
    const result = await run({ max_tokens: 40 });
    const { served } = expectHeld(result);
    for (const r of result.forwarded) expect((r.json as { max_tokens: number }).max_tokens).to.be.at.most(40);
    expect(served).to.be.below(STREAMS);
  });

  it('with no max_tokens: the proxy sends the bound that fits', async () => {
    const result = await run({});
    expectHeld(result);
    for (const r of result.forwarded)
      expect((r.json as { max_completion_tokens?: number }).max_completion_tokens).to.be.a('number');
  });

  it('a budget that fits all 200 at the default output bound: all served, zero overrun', async () => {
    // What one request without an output bound reserves, with room to spare for its
    // input bound: its body's bytes at the dearest input rate, 4096 output tokens.
    const worst = worstRatesFor(price, Number.POSITIVE_INFINITY);
    const bytes = Buffer.byteLength(
      JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'count the ways' }], stream: true }),
    );
    const cap = STREAMS * Math.ceil(2 * bytes * worst.input + 4096 * worst.output);
    const result = await run({}, cap);
    const served = result.outcomes.filter((o) => o.ok).length;
    expect(served, 'served').to.be.at.least(0.95 * STREAMS);
    for (const o of result.outcomes.filter((o) => !o.ok))
      expect(o).to.deep.include({ status: 429, code: 'limit_busy' });
    expect(result.forwarded).to.have.length(served);
    for (const r of result.forwarded)
      expect((r.json as { max_completion_tokens?: number }).max_completion_tokens).to.equal(4096);
    expect(result.charged.openReservations).to.equal(0);
    expect(result.charged.requests).to.equal(served);
    expect(result.charged.microUsd, 'never above the cap').to.be.at.most(cap);
    expect(result.charged.tokens).to.equal(result.usages.reduce((sum, u) => sum + u.total_tokens, 0));
  });

  it('with n > 1 choices per request', async () => {
    const result = await run({ n: 3, max_completion_tokens: 30 });
    expectHeld(result);
    for (const usage of result.usages) expect(usage.completion_tokens % 3).to.equal(0);
  });
});
