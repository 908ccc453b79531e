import { expect } from 'chai';
import OpenAI from 'openai';
import { createProviderRegistry, useProviderRegistry } from '../../../src/scopes/index.ts';
import { engines } from '../../support/databases.ts';
import type { GeneratedTotal } from '../../support/fake-upstream/index.ts';
import { flushedRecords, settledCounters } from '../../support/ledger-reads.ts';
import { limitedGrant } from '../../support/limited-grant.ts';
import { openaiClient } from '../../support/proxy-clients.ts';
import type { ProxyFixture } from '../../support/proxy-fixture.ts';
import { proxyFixtureHooks } from '../../support/proxy-fixture-hooks.ts';

const MODEL = 'llama-3.3-70b-versatile';
/** Round prices (µ$ per token) for the operator's Groq model: `prices.groq.<model>`. */
const PRICES = {
  groq: { [MODEL]: { input: 1, output: 2, contextWindow: 100_000, maxOutputTokens: 4000 } },
};

/** Every reply: 60 deltas of 5 tokens (300 output tokens), a few ms apart. */
const CHUNKS = 60;
const CHUNK_TOKENS = 5;
/** The adversary reads this many deltas (90 %) and then closes the connection. */
const ABORT_AFTER = 54;

type Ending = 'completed' | 'aborted' | 'refused';

/**
 * The adversary of a cap on a preset OpenAI-compatible provider (Groq): an app that
 * reads almost all of each long stream and closes it before the usage chunk. The fake,
 * acting as Groq, counts what it generated; the grant's counters never fall below it and
 * never pass the cap. Numbers are printed for the record.
 */
for (const engine of engines) {
  describe(`Groq (a preset) streams aborted late against the caps (${engine})`, function () {
    this.timeout(120_000);
    let fx: ProxyFixture;

    proxyFixtureHooks(
      engine,
      { providers: { presets: ['groq'] }, prices: PRICES, allowedScopes: ['groq:*:chat'] },
      (started) => {
        fx = started;
      },
    );
    after(() => useProviderRegistry(createProviderRegistry()));
    beforeEach(() => {
      fx.upstream.control.set({ chunkCount: CHUNKS, chunkTokens: CHUNK_TOKENS, chunkDelayMs: 1 });
    });

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

    /** One chat stream through the openai SDK at the proxy's /groq/v1, aborted after ABORT_AFTER deltas. */
    async function chatStream(token: string, abort: boolean, maxTokens?: number): Promise<Ending> {
      try {
        const stream = await openaiClient(fx.proxy.compatibleBaseURL('groq'), token).chat.completions.create({
          model: MODEL,
          stream: true,
          messages: [{ role: 'user', content: 'tell me a long story' }],
          ...(maxTokens ? { max_tokens: maxTokens } : {}),
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

    async function untilRefused(token: string, maxTokens?: number) {
      const endings: Ending[] = [];
      for (let i = 0; i < 50; i++) {
        const ending = await chatStream(token, true, maxTokens);
        endings.push(ending);
        if (ending === 'refused') break;
        await fx.upstream.control.waitForEnd((r) => r.seq === fx.upstream.requests.length - 1);
      }
      return endings;
    }

    const tokensOf = (g: GeneratedTotal) => g.inputTokens + g.outputTokens;
    const report = (name: string, numbers: Record<string, number>) =>
      console.log(`      [${engine}] ${name}: ${JSON.stringify(numbers)}`);

    it('a 1,000-token cap holds for streams aborted late: generated ≤ charged ≤ cap', async () => {
      const cap = 1_000;
      const { accessToken: token, grantId } = await limitedGrant(fx, { maxTokens: cap }, 'groq:*:chat');
      const since = fx.upstream.requests.length;
      const endings = await untilRefused(token, CHUNKS * CHUNK_TOKENS);
      const totals = await settledCounters(fx, grantId);
      const generated = fx.upstream.generatedTotal((r) => r.seq >= since);
      const served = endings.filter((e) => e !== 'refused').length;
      const aborted = endings.filter((e) => e === 'aborted').length;
      report('groq, token cap', {
        served,
        aborted,
        generated: tokensOf(generated),
        charged: totals.tokens,
        cap,
      });
      expect(endings.at(-1), 'the cap refuses in the end').to.equal('refused');
      expect(aborted, 'some were aborted late').to.be.at.least(2);
      expect(generated.requests).to.equal(served);
      expect(generated.requests, 'every request went to the fake Groq').to.equal(
        fx.upstream.requests.filter((r) => r.seq >= since && r.provider === 'groq').length,
      );
      expect(tokensOf(generated), 'generated within the cap').to.be.at.most(cap);
      expect(totals.tokens, 'charged at least what was generated').to.be.at.least(tokensOf(generated));
      expect(totals.tokens, 'charged within the cap').to.be.at.most(cap);
      const rows = await flushedRecords(fx, grantId, served);
      expect(rows.reduce((sum, r) => sum + r.inputTokens + r.outputTokens, 0)).to.equal(totals.tokens);
      // An aborted stream is charged its worst case: the whole output bound.
      for (const r of rows.filter((row) => row.clientAborted)) {
        expect(r.provider).to.equal('groq');
        expect(r.outputTokens).to.equal(CHUNKS * CHUNK_TOKENS);
      }
    });

    it('a spend cap holds from prices.groq; a request without a bound gets max_tokens injected', async () => {
      const cap = 3_000;
      const { accessToken: token, grantId } = await limitedGrant(
        fx,
        { maxSpendMicroUsd: cap },
        'groq:*:chat',
      );
      const since = fx.upstream.requests.length;
      const endings = await untilRefused(token);
      const totals = await settledCounters(fx, grantId);
      const generated = fx.upstream.generatedTotal((r) => r.seq >= since);
      const billable = generated.inputTokens * 1 + generated.outputTokens * 2;
      report('groq, spend cap (µ$)', {
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
      // The app set no bound: the proxy set max_tokens (never max_completion_tokens), within the model's.
      const sent = fx.upstream.requests.filter((r) => r.seq >= since && r.generation);
      expect(sent.length).to.be.at.least(1);
      for (const r of sent) {
        const json = r.json as { max_tokens?: unknown; max_completion_tokens?: unknown };
        expect(json.max_tokens, 'an injected bound').to.be.a('number').and.at.least(1).and.at.most(4000);
        expect(json).to.not.have.property('max_completion_tokens');
      }
    });
  });
}
