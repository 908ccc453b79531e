import { ApiError } from '@google/genai';
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { createBudgetStore } from '../../../src/storage/budget-store.ts';
import { createGrantStore, type GrantLimits } from '../../../src/storage/grant-store.ts';
import { createRevocationStore } from '../../../src/storage/revocation-store.ts';
import { createUsageStore, type UsageRecord } from '../../../src/storage/usage-store.ts';
import { engines } from '../../support/databases.ts';
import { geminiClient } from '../../support/gemini-client.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';

/** Round prices so every cost is plain arithmetic: µ$ per token. */
const PRICES = {
  google: {
    'gemini-2.5-flash': {
      input: 1,
      cachedInput: 0.25,
      output: 4,
      contextWindow: 100_000,
      maxOutputTokens: 4000,
    },
  },
};

/** Every reply: 60 chunks of 5 tokens (300 output tokens), a few ms apart. */
const CHUNKS = 60;
const CHUNK_TOKENS = 5;
/** The adversary reads this many chunks (90 %) and then aborts. */
const ABORT_AFTER = 54;

type Limits = Partial<Omit<GrantLimits, 'limitPeriod'>>;
type Ending = 'completed' | 'aborted' | 'refused';

/**
 * The adversary of a cap on Gemini: an app that reads almost all of each long stream and
 * aborts before the chunk with the finishReason (the only final usageMetadata; every
 * earlier one is partial). The fake counts what it generated; the grant's counters must
 * never be below it, and never pass the cap. Numbers are printed for the record.
 */
for (const engine of engines) {
  describe(`Gemini streams aborted late against the caps (${engine})`, function () {
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

    async function limitedGrant(limits: Limits) {
      const tokens = await fx.grant('google:gemini-2.5-flash:chat');
      const grantId = String(decodeJwt(tokens.accessToken).grant_id);
      expect((await stores().grants.lowerLimits(grantId, limits)).ok).to.equal(true);
      await fx.proxy.revocationDelivered(grantId);
      return { token: tokens.accessToken, grantId };
    }

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

    /** One stream through @google/genai, aborted after ABORT_AFTER chunks when `abort`. */
    async function geminiStream(token: string, abort: boolean, maxOutputTokens?: number): Promise<Ending> {
      const ai = geminiClient(fx.proxy.googleBaseURL, token, 'v1beta');
      const controller = new AbortController();
      try {
        const stream = await ai.models.generateContentStream({
          model: 'gemini-2.5-flash',
          contents: 'tell me a long story',
          config: { abortSignal: controller.signal, ...(maxOutputTokens ? { maxOutputTokens } : {}) },
        });
        let chunks = 0;
        for await (const _chunk of stream) {
          if (abort && ++chunks === ABORT_AFTER) {
            controller.abort();
            return 'aborted';
          }
        }
        return 'completed';
      } catch (err) {
        if (controller.signal.aborted) return 'aborted';
        const { status, message } = err as ApiError;
        if (
          err instanceof ApiError &&
          status === 403 &&
          /limit \(max_(tokens|spend_usd)( = [^)]+)?\)/.test(message)
        ) {
          return 'refused';
        }
        if (err instanceof ApiError && status === 429) return 'refused';
        throw err;
      }
    }

    async function untilRefused(token: string, maxOutputTokens?: number) {
      const endings: Ending[] = [];
      for (let i = 0; i < 50; i++) {
        const ending = await geminiStream(token, true, maxOutputTokens);
        endings.push(ending);
        if (ending === 'refused') break;
        await fx.upstream.control.waitForEnd((r) => r.seq === fx.upstream.requests.length - 1);
      }
      return endings;
    }

    const report = (name: string, numbers: Record<string, number>) =>
      console.log(`      [${engine}] ${name}: ${JSON.stringify(numbers)}`);

    it('a 1,000-token cap holds for streams aborted late: generated ≤ cap, charged ≥ generated', async () => {
      const cap = 1_000;
      const { token, grantId } = await limitedGrant({ maxTokens: cap });
      const since = fx.upstream.requests.length;
      const endings = await untilRefused(token, CHUNKS * CHUNK_TOKENS);
      const totals = await charged(grantId);
      const generated = fx.upstream.generatedTotal((r) => r.seq >= since);
      const served = endings.filter((e) => e !== 'refused').length;
      const generatedTokens = generated.inputTokens + generated.outputTokens;
      report('gemini, token cap', {
        served,
        aborted: endings.filter((e) => e === 'aborted').length,
        generated: generatedTokens,
        charged: totals.tokens,
        cap,
      });
      expect(endings.at(-1), 'the cap refuses in the end').to.equal('refused');
      expect(endings.filter((e) => e === 'aborted').length, 'some were aborted late').to.be.at.least(2);
      expect(generated.requests).to.equal(served);
      expect(generatedTokens, 'generated within the cap').to.be.at.most(cap);
      expect(totals.tokens, 'charged at least what was generated').to.be.at.least(generatedTokens);
      expect(totals.tokens, 'charged within the cap').to.be.at.most(cap);
      const rows = await records(grantId, served);
      expect(rows.reduce((sum, r) => sum + r.inputTokens + r.outputTokens, 0)).to.equal(totals.tokens);
      // An aborted stream is charged its worst case, not the partial usageMetadata it had seen.
      for (const r of rows.filter((row) => row.clientAborted)) {
        expect(r.outputTokens, 'the output bound').to.equal(CHUNKS * CHUNK_TOKENS);
      }
    });

    it('a spend cap holds, and a request without maxOutputTokens gets one injected into generationConfig', async () => {
      const cap = 3_000;
      const { token, grantId } = await limitedGrant({ maxSpendMicroUsd: cap });
      const since = fx.upstream.requests.length;
      const endings = await untilRefused(token);
      const totals = await charged(grantId);
      const generated = fx.upstream.generatedTotal((r) => r.seq >= since);
      const billable = generated.inputTokens * 1 + generated.outputTokens * 4;
      report('gemini, spend cap (µ$)', {
        served: endings.filter((e) => e !== 'refused').length,
        aborted: endings.filter((e) => e === 'aborted').length,
        generated: billable,
        charged: totals.microUsd,
        cap,
      });
      expect(endings.at(-1)).to.equal('refused');
      expect(billable, 'billable within the cap').to.be.at.most(cap);
      expect(totals.microUsd, 'charged at least what is billable').to.be.at.least(billable);
      expect(totals.microUsd, 'charged within the cap').to.be.at.most(cap);
      // The app set no bound: the proxy set generationConfig.maxOutputTokens, never above the model's.
      const sent = fx.upstream.requests.filter((r) => r.seq >= since && r.generation);
      for (const r of sent) {
        const bound = (r.json as { generationConfig?: { maxOutputTokens?: unknown } }).generationConfig
          ?.maxOutputTokens;
        expect(bound, 'an injected bound').to.be.a('number').and.at.least(1).and.at.most(4000);
      }
    });

    it('an upstream that drops the stream before the finishReason chunk: charged the worst case, upstream_failed', async () => {
      const { token, grantId } = await limitedGrant({ maxTokens: 100_000 });
      fx.upstream.control.next({ fault: { kind: 'drop', afterEvents: 30 } });
      const ending = await geminiStream(token, false, 400).catch((err: unknown) => err);
      expect(ending, 'the SDK stream failed or ended early').to.not.equal('refused');
      const totals = await charged(grantId);
      const [row] = await records(grantId, 1);
      // Input bound (the body's bytes) + the whole output bound, not the 150 tokens seen so far.
      expect(row?.outputTokens).to.equal(400);
      expect(row?.upstreamFailed).to.equal(true);
      expect(totals.tokens).to.equal((row?.inputTokens ?? 0) + 400);
      expect(
        fx.upstream.generatedTotal((r) => r.seq === fx.upstream.requests.length - 1).outputTokens,
      ).to.equal(150);
    });

    it('a completed stream settles to its final usageMetadata', async () => {
      const { token, grantId } = await limitedGrant({ maxTokens: 100_000 });
      expect(await geminiStream(token, false, 1000)).to.equal('completed');
      const totals = await charged(grantId);
      // 5 prompt words + 300 output tokens.
      expect(totals.tokens).to.equal(5 + CHUNKS * CHUNK_TOKENS);
      const [row] = await records(grantId, 1);
      expect(row).to.include({
        inputTokens: 5,
        outputTokens: 300,
        clientAborted: false,
        costMicroUsd: 5 + 1200,
      });
    });
  });
}
