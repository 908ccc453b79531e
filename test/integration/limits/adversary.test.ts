import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import OpenAI from 'openai';
import { createBudgetStore } from '../../../src/storage/budget-store.ts';
import { createGrantStore, type GrantLimits } from '../../../src/storage/grant-store.ts';
import { createRevocationStore } from '../../../src/storage/revocation-store.ts';
import { createUsageStore, type UsageRecord } from '../../../src/storage/usage-store.ts';
import { engines } from '../../support/databases.ts';
import type { GeneratedTotal } from '../../support/fake-upstream/index.ts';
import { freePort } from '../../support/free-port.ts';
import { anthropicClient, openaiClient } from '../../support/proxy-clients.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';

/** Round prices so every cost is plain arithmetic: µ$ per token. */
const PRICES = {
  openai: {
    'gpt-4o-mini': { input: 1, cachedInput: 0.5, output: 2, contextWindow: 100_000, maxOutputTokens: 4000 },
  },
  anthropic: {
    'claude-sonnet-5-5': {
      input: 3,
      cachedInput: 0.3,
      cacheWrite: 6,
      output: 15,
      contextWindow: 200_000,
      maxOutputTokens: 4000,
    },
  },
};

/** Every reply: 60 deltas of 5 tokens (300 output tokens), a few ms apart. */
const CHUNKS = 60;
const CHUNK_TOKENS = 5;
/** The adversary reads this many deltas (90 %) and then closes the connection. */
const ABORT_AFTER = 54;

type Limits = Partial<Omit<GrantLimits, 'limitPeriod'>>;
type Ending = 'completed' | 'aborted' | 'refused';

/**
 * The adversary of a spend or token cap: an app that reads almost all of each long stream
 * and then closes the connection, before the upstream's final usage. The fake upstream
 * counts what it generated (what the provider bills) and stops when the proxy hangs up;
 * what the grant's counters charged must never be below it, and so it never passes the
 * cap. Numbers are printed for the record.
 */
for (const engine of engines) {
  describe(`adversary: late aborts against the caps (${engine})`, function () {
    this.timeout(120_000);
    let fx: ProxyFixture;

    before(async () => {
      fx = await startProxyFixture(engine, { prices: PRICES });
    });
    after(async () => {
      await fx?.close();
    });
    beforeEach(() => {
      fx.upstream.control.reset();
      fx.upstream.control.set({ chunkCount: CHUNKS, chunkTokens: CHUNK_TOKENS, chunkDelayMs: 1 });
    });

    const stores = () => {
      const db = fx.as.database.db;
      const clock = () => Date.now();
      return {
        grants: createGrantStore(db, clock, createRevocationStore(db, clock)),
        budgets: createBudgetStore(db, clock),
        usage: createUsageStore(db),
      };
    };

    async function limitedGrant(limits: Limits, scope: string) {
      const tokens = await fx.grant(scope);
      const grantId = String(decodeJwt(tokens.accessToken).grant_id);
      expect((await stores().grants.lowerLimits(grantId, limits)).ok).to.equal(true);
      await fx.proxy.revocationDelivered(grantId);
      return { token: tokens.accessToken, grantId };
    }

    /** The lifetime counters once no reservation is open (settling follows the answer's end). */
    async function charged(grantId: string) {
      let totals = await stores().budgets.charged(grantId, 'lifetime');
      for (let i = 0; i < 250 && totals.openReservations > 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        totals = await stores().budgets.charged(grantId, 'lifetime');
      }
      expect(totals.openReservations, 'every reservation settled').to.equal(0);
      return totals;
    }

    async function records(grantId: string, count: number): Promise<UsageRecord[]> {
      let rows = await stores().usage.forGrant(grantId);
      for (let i = 0; i < 250 && rows.length < count; i++) {
        await fx.proxy.usage.flush();
        if (rows.length < count) await new Promise((r) => setTimeout(r, 20));
        rows = await stores().usage.forGrant(grantId);
      }
      expect(rows).to.have.length(count);
      return rows;
    }

    /**
     * A refusal the cap may give: 403 limit_reached (the message names the cap; the OpenAI
     * shape also has the code), or 429 while reservations in flight stand in the way.
     */
    function refusal(err: unknown): Ending {
      const { status, message } = err as { status?: number; message?: string };
      if (
        status === 403 &&
        /limit \(max_(tokens|spend_usd) = [^)]+\) of this grant is reached/.test(message ?? '')
      )
        return 'refused';
      if (status === 429) return 'refused';
      throw err;
    }

    /** One Anthropic stream through the official SDK, aborted after ABORT_AFTER text deltas. */
    async function anthropicStream(token: string, abort: boolean): Promise<Ending> {
      const client = anthropicClient(fx.proxy.anthropicBaseURL, token);
      const stream = client.messages.stream({
        model: 'claude-sonnet-5-5',
        max_tokens: CHUNKS * CHUNK_TOKENS,
        messages: [{ role: 'user', content: 'tell me a long story' }],
      });
      let deltas = 0;
      stream.on('text', () => {
        if (abort && ++deltas === ABORT_AFTER) stream.abort();
      });
      try {
        await stream.finalMessage();
        return 'completed';
      } catch (err) {
        if (err instanceof Anthropic.APIUserAbortError) return 'aborted';
        return refusal(err);
      }
    }

    /** One OpenAI chat stream through the official SDK, aborted after ABORT_AFTER content deltas. */
    async function chatStream(token: string, abort: boolean): Promise<Ending> {
      const client = openaiClient(fx.proxy.openaiBaseURL, token);
      try {
        const stream = await client.chat.completions.create({
          model: 'gpt-4o-mini',
          max_tokens: CHUNKS * CHUNK_TOKENS,
          stream: true,
          messages: [{ role: 'user', content: 'tell me a long story' }],
        });
        let deltas = 0;
        for await (const chunk of stream) {
          if (chunk.choices[0]?.delta.content && abort && ++deltas === ABORT_AFTER) {
            stream.controller.abort();
            return 'aborted';
          }
        }
        return 'completed';
      } catch (err) {
        if (err instanceof OpenAI.APIUserAbortError) return 'aborted';
        return refusal(err);
      }
    }

    /** One Responses stream through the official SDK, aborted after ABORT_AFTER text deltas. */
    async function responsesStream(token: string, abort: boolean): Promise<Ending> {
      const client = openaiClient(fx.proxy.openaiBaseURL, token);
      try {
        const stream = await client.responses.create({
          model: 'gpt-4o-mini',
          max_output_tokens: CHUNKS * CHUNK_TOKENS,
          stream: true,
          input: 'tell me a long story',
        });
        let deltas = 0;
        for await (const event of stream) {
          if (event.type === 'response.output_text.delta' && abort && ++deltas === ABORT_AFTER) {
            stream.controller.abort();
            return 'aborted';
          }
        }
        return 'completed';
      } catch (err) {
        if (err instanceof OpenAI.APIUserAbortError) return 'aborted';
        return refusal(err);
      }
    }

    /** Sends one request after another, each aborted late, until the cap refuses one. */
    async function untilRefused(token: string, send: (token: string) => Promise<Ending>) {
      const endings: Ending[] = [];
      for (let i = 0; i < 50; i++) {
        const ending = await send(token);
        endings.push(ending);
        if (ending === 'refused') break;
        // The fake saw the connection end; the proxy settles right after.
        await fx.upstream.control.waitForEnd((r) => r.seq === fx.upstream.requests.length - 1);
      }
      return endings;
    }

    const tokensOf = (g: GeneratedTotal) => g.inputTokens + g.outputTokens;
    const report = (name: string, numbers: Record<string, number>) =>
      console.log(`      [${engine}] ${name}: ${JSON.stringify(numbers)}`);

    /** What the usage records say agrees with the counters; worst-case records are flagged. */
    async function expectRecordsMatch(
      grantId: string,
      served: number,
      totals: { tokens: number; microUsd: number },
    ) {
      const rows = await records(grantId, served);
      expect(rows.reduce((sum, r) => sum + r.inputTokens + r.outputTokens, 0)).to.equal(totals.tokens);
      expect(rows.reduce((sum, r) => sum + (r.costMicroUsd ?? 0), 0)).to.equal(totals.microUsd);
      return rows;
    }

    it('(a) Anthropic streams aborted late under a 1,000-token cap: never more generated than charged', async () => {
      const cap = 1_000;
      const { token, grantId } = await limitedGrant({ maxTokens: cap }, 'anthropic:*:chat');
      const since = fx.upstream.requests.length;
      const endings = await untilRefused(token, (t) => anthropicStream(t, true));
      const totals = await charged(grantId);
      const generated = fx.upstream.generatedTotal((r) => r.seq >= since);
      const served = endings.filter((e) => e !== 'refused').length;
      report('(a) anthropic, token cap', {
        served,
        aborted: endings.filter((e) => e === 'aborted').length,
        refused: endings.filter((e) => e === 'refused').length,
        generated: tokensOf(generated),
        charged: totals.tokens,
        cap,
      });
      expect(endings.at(-1), 'the cap refuses in the end').to.equal('refused');
      expect(endings.filter((e) => e === 'aborted').length, 'some were aborted late').to.be.at.least(2);
      expect(generated.requests).to.equal(served);
      expect(tokensOf(generated), 'generated within the cap').to.be.at.most(cap);
      expect(totals.tokens, 'charged at least what was generated').to.be.at.least(tokensOf(generated));
      expect(totals.tokens, 'charged within the cap').to.be.at.most(cap);
      const rows = await expectRecordsMatch(grantId, served, totals);
      // An aborted stream's record is its worst case: the reserved input bound and output bound.
      const aborted = rows.filter((r) => r.clientAborted);
      expect(aborted).to.have.length(endings.filter((e) => e === 'aborted').length);
      for (const r of aborted) expect(r.outputTokens).to.equal(CHUNKS * CHUNK_TOKENS);
    });

    it('(b) 100 concurrent OpenAI chat streams, half aborted late, under a 20,000-token cap', async () => {
      const cap = 20_000;
      const { token, grantId } = await limitedGrant({ maxTokens: cap }, 'openai:*:chat');
      const since = fx.upstream.requests.length;
      const endings = await Promise.all(
        Array.from({ length: 100 }, (_, i) => chatStream(token, i % 2 === 0)),
      );
      await Promise.all(
        fx.upstream.requests.slice(since).map((r) => fx.upstream.control.waitForEnd((x) => x.seq === r.seq)),
      );
      const totals = await charged(grantId);
      const generated = fx.upstream.generatedTotal((r) => r.seq >= since);
      const served = endings.filter((e) => e !== 'refused').length;
      report('(b) openai chat, 100 concurrent, token cap', {
        served,
        aborted: endings.filter((e) => e === 'aborted').length,
        refused: endings.filter((e) => e === 'refused').length,
        generated: tokensOf(generated),
        charged: totals.tokens,
        cap,
      });
      expect(endings.filter((e) => e === 'aborted').length, 'some were aborted late').to.be.at.least(2);
      expect(generated.requests).to.equal(served);
      expect(tokensOf(generated), 'generated within the cap').to.be.at.most(cap);
      expect(totals.tokens, 'charged at least what was generated').to.be.at.least(tokensOf(generated));
      expect(totals.tokens, 'charged within the cap').to.be.at.most(cap);
      await expectRecordsMatch(grantId, served, totals);
    });

    it('(c) Responses streams aborted late under a 1,000-token cap', async () => {
      const cap = 1_000;
      const { token, grantId } = await limitedGrant({ maxTokens: cap }, 'openai:*:chat');
      const since = fx.upstream.requests.length;
      const endings = await untilRefused(token, (t) => responsesStream(t, true));
      const totals = await charged(grantId);
      const generated = fx.upstream.generatedTotal((r) => r.seq >= since);
      const served = endings.filter((e) => e !== 'refused').length;
      report('(c) openai responses, token cap', {
        served,
        aborted: endings.filter((e) => e === 'aborted').length,
        refused: endings.filter((e) => e === 'refused').length,
        generated: tokensOf(generated),
        charged: totals.tokens,
        cap,
      });
      expect(endings.at(-1), 'the cap refuses in the end').to.equal('refused');
      expect(endings.filter((e) => e === 'aborted').length, 'some were aborted late').to.be.at.least(2);
      expect(tokensOf(generated), 'generated within the cap').to.be.at.most(cap);
      expect(totals.tokens, 'charged at least what was generated').to.be.at.least(tokensOf(generated));
      await expectRecordsMatch(grantId, served, totals);
    });

    it('(d) Anthropic streams aborted late under a spend cap: never more billable than charged', async () => {
      // One stream's worst case: ~115 body bytes × 6 µ$ (the dearest input rate, cache writes)
      // + 300 output × 15 µ$ ≈ 5,200 µ$: two fit whole, the third gets a lower bound.
      const cap = 15_000;
      const { token, grantId } = await limitedGrant({ maxSpendMicroUsd: cap }, 'anthropic:*:chat');
      const since = fx.upstream.requests.length;
      const endings = await untilRefused(token, (t) => anthropicStream(t, true));
      const totals = await charged(grantId);
      const generated = fx.upstream.generatedTotal((r) => r.seq >= since);
      // What the provider would bill for what the fake generated (no cache in these replies).
      const billable = generated.inputTokens * 3 + generated.outputTokens * 15;
      const served = endings.filter((e) => e !== 'refused').length;
      report('(d) anthropic, spend cap (µ$)', {
        served,
        aborted: endings.filter((e) => e === 'aborted').length,
        refused: endings.filter((e) => e === 'refused').length,
        generated: billable,
        charged: totals.microUsd,
        cap,
      });
      expect(endings.at(-1), 'the cap refuses in the end').to.equal('refused');
      expect(endings.filter((e) => e === 'aborted').length, 'some were aborted late').to.be.at.least(2);
      expect(billable, 'billable within the cap').to.be.at.most(cap);
      expect(totals.microUsd, 'charged at least what is billable').to.be.at.least(billable);
      expect(totals.microUsd, 'charged within the cap').to.be.at.most(cap);
      await expectRecordsMatch(grantId, served, totals);
    });

    it('(e) an upstream that drops the stream before its final usage: charged the worst case, upstream_failed', async () => {
      const cap = 1_000;
      const { token, grantId } = await limitedGrant({ maxTokens: cap }, 'anthropic:*:chat');
      const since = fx.upstream.requests.length;
      fx.upstream.control.next({ fault: { kind: 'drop', afterEvents: ABORT_AFTER } });
      const client = anthropicClient(fx.proxy.anthropicBaseURL, token);
      const stream = client.messages.stream({
        model: 'claude-sonnet-5-5',
        max_tokens: CHUNKS * CHUNK_TOKENS,
        messages: [{ role: 'user', content: 'tell me a long story' }],
      });
      const err = await stream.finalMessage().catch((e: unknown) => e);
      expect(err).to.be.instanceOf(Error);
      expect((await fx.upstream.control.waitForEnd((r) => r.seq >= since)).dropped).to.equal(true);
      const totals = await charged(grantId);
      const generated = fx.upstream.generatedTotal((r) => r.seq >= since);
      report('(e) anthropic, upstream drop', { generated: tokensOf(generated), charged: totals.tokens, cap });
      expect(generated.outputTokens, 'the fake generated most of it').to.be.above(0);
      expect(totals.tokens).to.be.at.least(tokensOf(generated));
      const [row] = await expectRecordsMatch(grantId, 1, totals);
      expect(row).to.include({
        upstreamFailed: true,
        clientAborted: false,
        outputTokens: CHUNKS * CHUNK_TOKENS,
      });
    });

    // Last: it points the proxy at a closed port.
    describe('with an upstream that refuses connections', () => {
      before(async () => {
        const closed = await freePort();
        await fx.restartProxy({
          upstreams: {
            openai: `http://127.0.0.1:${closed}/openai`,
            anthropic: `http://127.0.0.1:${closed}/anthropic`,
          },
        });
      });

      it('(f) nothing reached the upstream: released, nothing charged', async () => {
        const { token, grantId } = await limitedGrant({ maxTokens: 1_000 }, 'anthropic:*:chat');
        const err = await anthropicClient(fx.proxy.anthropicBaseURL, token)
          .messages.create({
            model: 'claude-sonnet-5-5',
            max_tokens: CHUNKS * CHUNK_TOKENS,
            messages: [{ role: 'user', content: 'tell me a long story' }],
          })
          .catch((e: unknown) => e);
        expect((err as { status?: number }).status).to.equal(502);
        expect(await charged(grantId)).to.deep.include({ requests: 0, tokens: 0, microUsd: 0 });
      });
    });
  });
}
