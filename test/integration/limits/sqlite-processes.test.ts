import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { APIError } from 'openai';
import { DEFAULT_PRICES } from '../../../src/config/default-prices.ts';
import { costMicroUsd, findPrice, type ModelPrice } from '../../../src/proxy/limits/price-table.ts';
import { createBudgetStore } from '../../../src/storage/budget-store.ts';
import { createGrantStore } from '../../../src/storage/grant-store.ts';
import { createRevocationStore } from '../../../src/storage/revocation-store.ts';
import { type ChatUsage, chatUsage } from '../../support/fake-upstream/index.ts';
import { openaiClient } from '../../support/proxy-clients.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';
import { type ProxyProcess, type SpawnedProxies, spawnProxies } from '../../support/spawn-proxies.ts';

const MODEL = 'gpt-4o-mini';
const REQUESTS = 200;
const MESSAGES = [{ role: 'user' as const, content: 'count the ways' }];
/** The fake's whole reply (20 tokens): what each request reserves for output is what it uses. */
const MAX_TOKENS = 20;

type Outcome = { ok: true } | { ok: false; status: number; code: string | undefined };

/**
 * Three proxy processes on one SQLite file (WAL): every write transaction takes the write
 * lock first and waits for it (busy timeout), so no request of 200 concurrent ones is
 * answered "database is locked". A request cap that fits them all, a spend cap that fits
 * about half: every refusal is the cap's 403, and what was charged is what the fake
 * upstream reported, priced.
 */
describe('SQLite: three proxy processes on one file under 200 concurrent capped requests', function () {
  this.timeout(120_000);
  let fx: ProxyFixture;
  let spawned: SpawnedProxies;
  const price = findPrice(DEFAULT_PRICES, 'openai', MODEL) as ModelPrice;
  const cost = (u: ChatUsage) =>
    costMicroUsd(price, {
      inputTokens: u.prompt_tokens,
      cachedInputTokens: u.prompt_tokens_details.cached_tokens,
      cacheWriteTokens: 0,
      outputTokens: u.completion_tokens,
      reasoningTokens: u.completion_tokens_details.reasoning_tokens,
    }) as number;

  before(async () => {
    fx = await startProxyFixture('sqlite');
    // One reservation per request: each waits on the file's write lock (leases.test.ts
    // runs the same three processes with slices).
    spawned = await spawnProxies(fx.as, fx.upstream, { count: 3, env: { MANDATE_PROXY_LEASES: 'false' } });
  });
  after(async () => {
    await spawned?.close();
    await fx?.close();
  });
  beforeEach(() => {
    fx.upstream.control.reset();
    // Requests overlap: each stream takes ~20 chunks × 2 ms.
    fx.upstream.control.set({ chunkDelayMs: 2 });
  });

  async function send(baseURL: string, token: string, stream: boolean): Promise<Outcome> {
    try {
      const client = openaiClient(baseURL, token);
      const body = { model: MODEL, messages: MESSAGES, max_tokens: MAX_TOKENS };
      if (stream) {
        for await (const _ of await client.chat.completions.create({ ...body, stream: true }));
      } else {
        await client.chat.completions.create(body);
      }
      return { ok: true };
    } catch (err) {
      if (!(err instanceof APIError)) throw err;
      return { ok: false, status: err.status ?? 0, code: (err.error as { code?: string } | undefined)?.code };
    }
  }

  for (const stream of [true, false]) {
    it(`${stream ? 'streamed' : 'plain'}: no 5xx, every refusal a cap's 403 or a busy 429, charged as reported`, async () => {
      const one = cost(
        chatUsage({ messages: MESSAGES, max_tokens: MAX_TOKENS }, fx.upstream.control.settings),
      );
      // A request reserves about twice what it uses (the proxy's input estimate is generous):
      // a cap of REQUESTS × what one uses fits about half of them.
      const capMicroUsd = Math.floor(REQUESTS * one);
      const { accessToken } = await fx.grant('openai:*:chat');
      const grantId = String(decodeJwt(accessToken).grant_id);
      const db = fx.as.database.db;
      const grants = createGrantStore(db, Date.now, createRevocationStore(db, Date.now));
      const lowered = await grants.lowerLimits(grantId, {
        maxRequests: REQUESTS,
        maxSpendMicroUsd: capMicroUsd,
      });
      expect(lowered.ok).to.equal(true);
      const since = fx.upstream.requests.length;

      const outcomes = await Promise.all(
        Array.from({ length: REQUESTS }, (_, i) =>
          send(
            (spawned.proxies[i % spawned.proxies.length] as ProxyProcess).openaiBaseURL,
            accessToken,
            stream,
          ),
        ),
      );

      const failed = outcomes.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
      expect(failed.filter((o) => o.status >= 500).length, '5xx answers').to.equal(0);
      // Refused while others were in flight: 429 limit_busy (retry); once settled usage
      // leaves no room: 403 limit_reached.
      for (const o of failed)
        expect(o).to.deep.equal(
          o.status === 429
            ? { ok: false, status: 429, code: 'limit_busy' }
            : { ok: false, status: 403, code: 'limit_reached' },
        );
      const served = outcomes.length - failed.length;
      expect(served, 'some fit').to.be.at.least(1);
      expect(failed.length, 'the spend cap refuses some').to.be.at.least(1);

      const budgets = createBudgetStore(db, Date.now);
      let charged = await budgets.charged(grantId, 'lifetime');
      for (let i = 0; i < 200 && charged.openReservations > 0; i++) {
        await new Promise((r) => setTimeout(r, 25));
        charged = await budgets.charged(grantId, 'lifetime');
      }
      const forwarded = fx.upstream.requests.slice(since).filter((r) => r.route === '/v1/chat/completions');
      const usages = forwarded.map((r) =>
        chatUsage(r.json as Record<string, unknown>, fx.upstream.control.settings),
      );
      expect(forwarded).to.have.length(served);
      expect(charged.openReservations).to.equal(0);
      expect(charged.requests).to.equal(served);
      expect(charged.microUsd, 'never above the cap').to.be.at.most(capMicroUsd);
      expect(charged.tokens).to.equal(usages.reduce((sum, u) => sum + u.total_tokens, 0));
      expect(charged.microUsd, 'exactly the reported usage, priced').to.equal(
        usages.reduce((sum, u) => sum + cost(u), 0),
      );
      // What the fake generated (what the provider would bill): every forwarded request, whole.
      const mine = (r: { seq: number }) => r.seq >= since;
      expect(fx.upstream.generated(mine).every((g) => g.completed)).to.equal(true);
      const total = fx.upstream.generatedTotal(mine);
      expect(total.requests).to.equal(served);
      expect(charged.tokens).to.equal(total.inputTokens + total.outputTokens);
    });
  }
});
