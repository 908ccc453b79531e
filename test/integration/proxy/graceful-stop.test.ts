import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { createBudgetStore } from '../../../src/storage/budget-store.ts';
import { createGrantStore } from '../../../src/storage/grant-store.ts';
import { createRevocationStore } from '../../../src/storage/revocation-store.ts';
import { engines } from '../../support/databases.ts';
import { openaiClient } from '../../support/proxy-clients.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';

const DRAIN_MS = 1000;
const PRICES = {
  openai: { 'gpt-4o-mini': { input: 1, output: 2, contextWindow: 100_000, maxOutputTokens: 2000 } },
};

for (const engine of engines) {
  describe(`proxy: graceful stop with streams running (${engine})`, function () {
    this.timeout(30_000);
    let fx: ProxyFixture;

    before(async () => {
      fx = await startProxyFixture(engine, { prices: PRICES, proxy: { drainTimeoutMs: DRAIN_MS } });
    });
    after(() => fx?.close());

    it(`streams that end within ${DRAIN_MS} ms finish, the rest are cut at the deadline; every request is recorded and the counters match`, async () => {
      const db = fx.as.database.db;
      const clock = () => Date.now();
      const grants = createGrantStore(db, clock, createRevocationStore(db, clock));
      const tokens = await fx.grant('openai:gpt-4o-mini:chat');
      const grantId = String(decodeJwt(tokens.accessToken).grant_id);
      expect((await grants.lowerLimits(grantId, { maxRequests: 100, maxTokens: 1_000_000 })).ok).to.equal(
        true,
      );
      await fx.proxy.revocationDelivered(grantId);
      const client = openaiClient(fx.proxy.openaiBaseURL, tokens.accessToken);

      // Two short streams (20 × 20 ms) and two long ones (1000 × 10 ms).
      const plans = [
        { chunkCount: 20, chunkDelayMs: 20 },
        { chunkCount: 20, chunkDelayMs: 20 },
        { chunkCount: 1000, chunkDelayMs: 10 },
        { chunkCount: 1000, chunkDelayMs: 10 },
      ];
      const streams = await Promise.all(
        plans.map(async (settings, i) => {
          const content = `story number ${i}`;
          fx.upstream.control.next({ settings }, { match: (r) => JSON.stringify(r.json).includes(content) });
          const { data, response } = await client.chat.completions
            .create({
              model: 'gpt-4o-mini',
              messages: [{ role: 'user', content }],
              stream: true,
              max_tokens: 1500,
            })
            .withResponse();
          let deltas = 0;
          const done = (async () => {
            for await (const chunk of data) if (chunk.choices[0]?.delta?.content) deltas += 1;
            return deltas;
          })();
          return { id: response.headers.get('x-mandate-request-id') as string, done };
        }),
      );
      const started = performance.now();
      await fx.proxy.shutdown();
      const tookMs = performance.now() - started;
      const deltas = await Promise.all(streams.map((s) => s.done));
      console.log(
        `      ${engine}: stop took ${tookMs.toFixed(0)} ms; deltas per stream: ${deltas.join(', ')}`,
      );
      expect(tookMs).to.be.at.least(DRAIN_MS - 50);
      expect(tookMs).to.be.below(DRAIN_MS + 3000);
      expect(deltas.slice(0, 2)).to.deep.equal([20, 20]);
      for (const cut of deltas.slice(2)) expect(cut).to.be.below(1000);

      const records = await db('usage_records').whereIn(
        'id',
        streams.map((s) => s.id),
      );
      expect(records, 'a usage record for every request').to.have.length(4);
      const byId = new Map(records.map((r) => [r.id, r]));
      for (const s of streams.slice(0, 2)) expect(Boolean(byId.get(s.id).client_aborted)).to.equal(false);
      for (const s of streams.slice(2)) expect(Boolean(byId.get(s.id).client_aborted)).to.equal(true);
      const period = (await db('grant_counters').where({ grant_id: grantId }).first()).period;
      const charged = await createBudgetStore(db, clock).charged(grantId, period);
      expect(charged.openReservations).to.equal(0);
      expect(charged.requests).to.equal(4);
      const recordedTokens = records.reduce(
        (sum, r) => sum + Number(r.input_tokens) + Number(r.output_tokens),
        0,
      );
      expect(charged.tokens).to.equal(recordedTokens);
    });
  });
}
