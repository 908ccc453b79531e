import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { engines } from '../../support/databases.ts';
import type { GeneratedTotal } from '../../support/fake-upstream/index.ts';
import { flushedRecords, settledCounters } from '../../support/ledger-reads.ts';
import { limitedGrant } from '../../support/limited-grant.ts';
import { anthropicClient, openaiClient } from '../../support/proxy-clients.ts';
import type { ProxyFixture } from '../../support/proxy-fixture.ts';
import { proxyFixtureHooks } from '../../support/proxy-fixture-hooks.ts';
import { refusingUpstreams } from '../../support/refusing-upstreams.ts';
import { roundPrices } from '../../support/round-prices.ts';

/** Round prices (µ$ per token), room for each stream's whole output. */
const PRICES = roundPrices({ openai: 4000, anthropic: 4000 });

/** Every reply: 60 deltas of 5 tokens (300 output tokens), a few ms apart. */
const CHUNKS = 60;
const CHUNK_TOKENS = 5;
/** The adversary reads this many deltas (90 %) and then closes the connection. */
const ABORT_AFTER = 54;

/** The long story every Anthropic request asks for, bounded by what the fake sends. */
const STORY = {
  model: 'claude-sonnet-5-5',
  max_tokens: CHUNKS * CHUNK_TOKENS,
  messages: [{ role: 'user' as const, content: 'tell me a long story' }],
};

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

    proxyFixtureHooks(engine, { prices: PRICES }, (started) => {
      fx = started;
    });
    beforeEach(() => {
      fx.upstream.control.set({ chunkCount: CHUNKS, chunkTokens: CHUNK_TOKENS, chunkDelayMs: 1 });
    });

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
      const stream = client.messages.stream(STORY);
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

    /**
     * Reads one OpenAI SDK stream; with `abort`, closes it after ABORT_AFTER of the events
     * `isDelta` counts.
     */
    async function readOpenAIStream<T>(
      open: () => Promise<AsyncIterable<T> & { controller: AbortController }>,
      isDelta: (event: T) => boolean,
      abort: boolean,
    ): Promise<Ending> {
      try {
        const stream = await open();
        let deltas = 0;
        for await (const event of stream) {
          if (isDelta(event) && abort && ++deltas === ABORT_AFTER) {
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

    /** One OpenAI chat stream through the official SDK, aborted after ABORT_AFTER content deltas. */
    const chatStream = (token: string, abort: boolean) =>
      readOpenAIStream(
        () =>
          openaiClient(fx.proxy.openaiBaseURL, token).chat.completions.create({
            model: 'gpt-4o-mini',
            max_tokens: CHUNKS * CHUNK_TOKENS,
            stream: true,
            messages: [{ role: 'user', content: 'tell me a long story' }],
          }),
        (chunk) => Boolean(chunk.choices[0]?.delta.content),
        abort,
      );

    /** One Responses stream through the official SDK, aborted after ABORT_AFTER text deltas. */
    const responsesStream = (token: string, abort: boolean) =>
      readOpenAIStream(
        () =>
          openaiClient(fx.proxy.openaiBaseURL, token).responses.create({
            model: 'gpt-4o-mini',
            max_output_tokens: CHUNKS * CHUNK_TOKENS,
            stream: true,
            input: 'tell me a long story',
          }),
        (event) => event.type === 'response.output_text.delta',
        abort,
      );

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
    /** Prints how a run's requests ended, what the fake generated and what was charged, against the cap. */
    const reportRun = (
      name: string,
      count: Record<string, number>,
      generated: number,
      charged: number,
      cap: number,
    ) => report(name, { ...count, generated, charged, cap });

    /** What a run from upstream request `since` came to: the counters, what the fake generated, the endings counted. */
    async function tally(grantId: string, since: number, endings: Ending[]) {
      const ended = (ending: Ending) => endings.filter((e) => e === ending).length;
      return {
        totals: await settledCounters(fx, grantId),
        generated: fx.upstream.generatedTotal((r) => r.seq >= since),
        served: endings.length - ended('refused'),
        aborted: ended('aborted'),
        refused: ended('refused'),
      };
    }

    /** Every request served reached the fake; generated ≤ charged ≤ the token cap. */
    function expectTokenCapHeld(
      generated: GeneratedTotal,
      served: number,
      totals: { tokens: number },
      cap: number,
    ) {
      expect(generated.requests).to.equal(served);
      expect(tokensOf(generated), 'generated within the cap').to.be.at.most(cap);
      expect(totals.tokens, 'charged at least what was generated').to.be.at.least(tokensOf(generated));
      expect(totals.tokens, 'charged within the cap').to.be.at.most(cap);
    }

    /** What the usage records say agrees with the counters; worst-case records are flagged. */
    async function expectRecordsMatch(
      grantId: string,
      served: number,
      totals: { tokens: number; microUsd: number },
    ) {
      const rows = await flushedRecords(fx, grantId, served);
      expect(rows.reduce((sum, r) => sum + r.inputTokens + r.outputTokens, 0)).to.equal(totals.tokens);
      expect(rows.reduce((sum, r) => sum + (r.costMicroUsd ?? 0), 0)).to.equal(totals.microUsd);
      return rows;
    }

    it('(a) Anthropic streams aborted late under a 1,000-token cap: never more generated than charged', async () => {
      const cap = 1_000;
      const { accessToken: token, grantId } = await limitedGrant(fx, { maxTokens: cap }, 'anthropic:*:chat');
      const since = fx.upstream.requests.length;
      const endings = await untilRefused(token, (t) => anthropicStream(t, true));
      const { totals, generated, ...count } = await tally(grantId, since, endings);
      reportRun('(a) anthropic, token cap', count, tokensOf(generated), totals.tokens, cap);
      expect(endings.at(-1), 'the cap refuses in the end').to.equal('refused');
      expect(count.aborted, 'some were aborted late').to.be.at.least(2);
      expectTokenCapHeld(generated, count.served, totals, cap);
      const rows = await expectRecordsMatch(grantId, count.served, totals);
      // An aborted stream's record is its worst case: the reserved input bound and output bound.
      const aborted = rows.filter((r) => r.clientAborted);
      expect(aborted).to.have.length(count.aborted);
      for (const r of aborted) expect(r.outputTokens).to.equal(CHUNKS * CHUNK_TOKENS);
    });

    it('(b) 100 concurrent OpenAI chat streams, half aborted late, under a 20,000-token cap', async () => {
      const cap = 20_000;
      const { accessToken: token, grantId } = await limitedGrant(fx, { maxTokens: cap }, 'openai:*:chat');
      const since = fx.upstream.requests.length;
      const endings = await Promise.all(
        Array.from({ length: 100 }, (_, i) => chatStream(token, i % 2 === 0)),
      );
      await Promise.all(
        fx.upstream.requests.slice(since).map((r) => fx.upstream.control.waitForEnd((x) => x.seq === r.seq)),
      );
      const { totals, generated, ...count } = await tally(grantId, since, endings);
      reportRun('(b) openai chat, 100 concurrent, token cap', count, tokensOf(generated), totals.tokens, cap);
      expect(count.aborted, 'some were aborted late').to.be.at.least(2);
      expectTokenCapHeld(generated, count.served, totals, cap);
      await expectRecordsMatch(grantId, count.served, totals);
    });

    it('(c) Responses streams aborted late under a 1,000-token cap', async () => {
      const cap = 1_000;
      const { accessToken: token, grantId } = await limitedGrant(fx, { maxTokens: cap }, 'openai:*:chat');
      const since = fx.upstream.requests.length;
      const endings = await untilRefused(token, (t) => responsesStream(t, true));
      const { totals, generated, ...count } = await tally(grantId, since, endings);
      reportRun('(c) openai responses, token cap', count, tokensOf(generated), totals.tokens, cap);
      expect(endings.at(-1), 'the cap refuses in the end').to.equal('refused');
      expect(count.aborted, 'some were aborted late').to.be.at.least(2);
      expect(tokensOf(generated), 'generated within the cap').to.be.at.most(cap);
      expect(totals.tokens, 'charged at least what was generated').to.be.at.least(tokensOf(generated));
      await expectRecordsMatch(grantId, count.served, totals);
    });

    it('(d) Anthropic streams aborted late under a spend cap: never more billable than charged', async () => {
      // One stream's worst case: ~115 body bytes × 6 µ$ (the dearest input rate, cache writes)
      // + 300 output × 15 µ$ ≈ 5,200 µ$: two fit whole, the third gets a lower bound.
      const cap = 15_000;
      const { accessToken: token, grantId } = await limitedGrant(
        fx,
        { maxSpendMicroUsd: cap },
        'anthropic:*:chat',
      );
      const since = fx.upstream.requests.length;
      const endings = await untilRefused(token, (t) => anthropicStream(t, true));
      const { totals, generated, ...count } = await tally(grantId, since, endings);
      // What the provider would bill for what the fake generated (no cache in these replies).
      const billable = generated.inputTokens * 3 + generated.outputTokens * 15;
      reportRun('(d) anthropic, spend cap (µ$)', count, billable, totals.microUsd, cap);
      expect(endings.at(-1), 'the cap refuses in the end').to.equal('refused');
      expect(count.aborted, 'some were aborted late').to.be.at.least(2);
      expect(billable, 'billable within the cap').to.be.at.most(cap);
      expect(totals.microUsd, 'charged at least what is billable').to.be.at.least(billable);
      expect(totals.microUsd, 'charged within the cap').to.be.at.most(cap);
      await expectRecordsMatch(grantId, count.served, totals);
    });

    it('(e) an upstream that drops the stream before its final usage: charged the worst case, upstream_failed', async () => {
      const cap = 1_000;
      const { accessToken: token, grantId } = await limitedGrant(fx, { maxTokens: cap }, 'anthropic:*:chat');
      const since = fx.upstream.requests.length;
      fx.upstream.control.next({ fault: { kind: 'drop', afterEvents: ABORT_AFTER } });
      const client = anthropicClient(fx.proxy.anthropicBaseURL, token);
      const stream = client.messages.stream(STORY);
      const err = await stream.finalMessage().catch((e: unknown) => e);
      expect(err).to.be.instanceOf(Error);
      expect((await fx.upstream.control.waitForEnd((r) => r.seq >= since)).dropped).to.equal(true);
      const totals = await settledCounters(fx, grantId);
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

    describe('with a 200 ms upstream response timeout', () => {
      before(() => fx.restartProxy({ upstreamResponseTimeoutMs: 200 }));
      afterEach(() => fx.upstream.control.release());

      it('(g) delivered but never answered (504): charged the worst case, the provider may bill it', async () => {
        const cap = 1_000;
        const { accessToken: token, grantId } = await limitedGrant(
          fx,
          { maxTokens: cap },
          'anthropic:*:chat',
        );
        fx.upstream.control.next({ fault: { kind: 'stall' } });
        const err = await anthropicClient(fx.proxy.anthropicBaseURL, token)
          .withOptions({ maxRetries: 0 })
          .messages.create(STORY)
          .catch((e: unknown) => e);
        expect((err as { status?: number }).status).to.equal(504);
        const totals = await settledCounters(fx, grantId);
        report('(g) anthropic, response timeout', { charged: totals.tokens, cap });
        // The reservation stands: the request's input bound and its whole output bound.
        expect(totals.requests).to.equal(1);
        expect(totals.tokens).to.be.above(CHUNKS * CHUNK_TOKENS);
        const [row] = await expectRecordsMatch(grantId, 1, totals);
        expect(row).to.include({ status: 504, upstreamFailed: true, outputTokens: CHUNKS * CHUNK_TOKENS });
      });
    });

    // Last: it points the proxy at a closed port.
    describe('with an upstream that refuses connections', () => {
      before(async () => {
        await fx.restartProxy(await refusingUpstreams());
      });

      it('(f) nothing reached the upstream: released, nothing charged', async () => {
        const { accessToken: token, grantId } = await limitedGrant(
          fx,
          { maxTokens: 1_000 },
          'anthropic:*:chat',
        );
        const err = await anthropicClient(fx.proxy.anthropicBaseURL, token)
          .messages.create(STORY)
          .catch((e: unknown) => e);
        expect((err as { status?: number }).status).to.equal(502);
        expect(await settledCounters(fx, grantId)).to.deep.include({ requests: 0, tokens: 0, microUsd: 0 });
      });
    });
  });
}
