import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { engines } from '../../support/databases.ts';
import { anthropicClient, openaiClient } from '../../support/proxy-clients.ts';
import { type IssuedTokens, type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';

const SCOPE = 'openai:gpt-4o-mini:chat anthropic:claude-sonnet-5-5:chat';
const user = (content: string) => [{ role: 'user' as const, content }];

/** Reads an SSE body event by event (an event ends with a blank line). */
function sseReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  const events: string[] = [];
  return {
    events,
    /** Resolves once `count` events in all have arrived; rejects if the body ends first. */
    async until(count: number): Promise<string[]> {
      while (events.length < count) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`the stream ended after ${events.length} events, expected ${count}`);
        buffered += decoder.decode(value, { stream: true });
        let end = buffered.indexOf('\n\n');
        while (end !== -1) {
          events.push(buffered.slice(0, end));
          buffered = buffered.slice(end + 2);
          end = buffered.indexOf('\n\n');
        }
      }
      return events;
    },
    /** Reads to the end; returns every event. */
    async rest(): Promise<string[]> {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffered += decoder.decode(value, { stream: true });
      }
      events.push(...buffered.split('\n\n').filter((e) => e.trim() !== ''));
      buffered = '';
      return events;
    },
    cancel: () => reader.cancel(),
  };
}

for (const engine of engines) {
  describe(`proxy: streaming (${engine})`, () => {
    let fx: ProxyFixture;
    let tokens: IssuedTokens;
    let openai: OpenAI;
    let anthropic: Anthropic;

    before(async () => {
      fx = await startProxyFixture(engine);
      tokens = await fx.grant(SCOPE);
      openai = openaiClient(fx.proxy.openaiBaseURL, tokens.accessToken);
      anthropic = anthropicClient(fx.proxy.anthropicBaseURL, tokens.accessToken);
    });
    after(async () => {
      fx?.upstream.control.release();
      await fx?.close();
    });
    beforeEach(() => fx.upstream.control.reset());
    afterEach(() => fx.upstream.control.release());

    const rawStream = (provider: 'openai' | 'anthropic', signal?: AbortSignal) =>
      provider === 'openai'
        ? fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${tokens.accessToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'gpt-4o-mini', messages: user('stream please'), stream: true }),
            ...(signal ? { signal } : {}),
          })
        : fetch(`${fx.proxy.anthropicBaseURL}/v1/messages`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${tokens.accessToken}`,
              'content-type': 'application/json',
              'anthropic-version': '2023-06-01',
            },
            body: JSON.stringify({
              model: 'claude-sonnet-5-5',
              max_tokens: 64,
              messages: user('stream'),
              stream: true,
            }),
            ...(signal ? { signal } : {}),
          });

    for (const provider of ['openai', 'anthropic'] as const) {
      it(`${provider}: nothing is buffered; the response head and the first events arrive while the upstream holds the rest`, async () => {
        fx.upstream.control.next({ fault: { kind: 'stall', afterEvents: 3 } });
        const res = await rawStream(provider);
        expect(res.status).to.equal(200);
        expect(res.headers.get('content-type')).to.match(/^text\/event-stream/);
        const sse = sseReader(res.body as ReadableStream<Uint8Array>);
        const first = await sse.until(3);
        expect(first).to.have.length(3);
        // The upstream is still holding the fourth event: these came through unbuffered.
        const held = await fx.upstream.control.waitForStall();
        expect(held.stalled).to.equal(true);
        expect(held.eventsSent).to.equal(3);
        expect(fx.upstream.control.release()).to.equal(1);
        const all = await sse.rest();
        expect(all.length).to.be.greaterThan(3);
        if (provider === 'openai') expect(all.at(-1)).to.equal('data: [DONE]');
        else expect(all.at(-1)).to.include('event: message_stop');
      });

      it(`${provider}: the response head is not held back until the first event`, async () => {
        fx.upstream.control.next({ fault: { kind: 'stall', afterEvents: 0 } });
        const res = await rawStream(provider);
        expect(res.status).to.equal(200);
        const held = await fx.upstream.control.waitForStall();
        expect(held.eventsSent).to.equal(0);
        fx.upstream.control.release();
        const sse = sseReader(res.body as ReadableStream<Uint8Array>);
        expect((await sse.rest()).length).to.be.greaterThan(3);
      });

      it(`${provider}: a raw client abort mid-stream aborts the upstream request`, async () => {
        fx.upstream.control.next({ fault: { kind: 'stall', afterEvents: 2 } });
        const controller = new AbortController();
        const res = await rawStream(provider, controller.signal);
        await sseReader(res.body as ReadableStream<Uint8Array>).until(2);
        const held = await fx.upstream.control.waitForStall();
        controller.abort();
        const aborted = await fx.upstream.control.waitForAbort((r) => r.seq === held.seq);
        expect(aborted.finished).to.equal(false);
      });
    }

    it('openai SDK: aborting a stream mid-way aborts the upstream request', async () => {
      fx.upstream.control.next({ fault: { kind: 'stall', afterEvents: 2 } });
      const stream = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: user('stream please'),
        stream: true,
      });
      const it = stream[Symbol.asyncIterator]();
      expect((await it.next()).done).to.equal(false);
      expect((await it.next()).done).to.equal(false);
      const held = await fx.upstream.control.waitForStall();
      stream.controller.abort();
      const aborted = await fx.upstream.control.waitForAbort((r) => r.seq === held.seq);
      expect(aborted.finished).to.equal(false);
    });

    it('anthropic SDK: aborting a stream mid-way aborts the upstream request', async () => {
      fx.upstream.control.next({ fault: { kind: 'stall', afterEvents: 2 } });
      const stream = await anthropic.messages.create({
        model: 'claude-sonnet-5-5',
        max_tokens: 64,
        messages: user('stream'),
        stream: true,
      });
      const it = stream[Symbol.asyncIterator]();
      expect((await it.next()).done).to.equal(false);
      expect((await it.next()).done).to.equal(false);
      const held = await fx.upstream.control.waitForStall();
      stream.controller.abort();
      const aborted = await fx.upstream.control.waitForAbort((r) => r.seq === held.seq);
      expect(aborted.finished).to.equal(false);
    });

    it('openai SDK: an upstream dropping the connection mid-stream makes the stream throw', async () => {
      fx.upstream.control.next({ fault: { kind: 'drop', afterEvents: 3 } });
      const stream = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: user('stream please'),
        stream: true,
      });
      let chunks = 0;
      let error: unknown;
      try {
        for await (const _ of stream) chunks++;
      } catch (err) {
        error = err;
      }
      expect(error, 'the SDK stream ended as if complete').to.be.instanceOf(Error);
      expect(chunks).to.equal(3);
      expect((await fx.upstream.control.waitForEnd()).dropped).to.equal(true);
    });

    it('anthropic SDK: an upstream dropping the connection mid-stream makes the stream throw', async () => {
      fx.upstream.control.next({ fault: { kind: 'drop', afterEvents: 3 } });
      const stream = anthropic.messages.stream({
        model: 'claude-sonnet-5-5',
        max_tokens: 64,
        messages: user('stream'),
      });
      const error = await stream.finalMessage().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error, 'the SDK stream ended as if complete').to.be.instanceOf(Error);
      expect((await fx.upstream.control.waitForEnd()).dropped).to.equal(true);
    });

    it("the providers' in-stream error events pass through, and the SDKs raise them", async () => {
      fx.upstream.control.next({ fault: { kind: 'stream-error', afterEvents: 2, status: 500 } });
      const stream = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: user('stream please'),
        stream: true,
      });
      let error: unknown;
      try {
        for await (const _ of stream);
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(OpenAI.APIError);

      fx.upstream.control.next({ fault: { kind: 'stream-error', afterEvents: 2, status: 529 } });
      const streamA = anthropic.messages.stream({
        model: 'claude-sonnet-5-5',
        max_tokens: 64,
        messages: user('stream'),
      });
      const errorA = await streamA.finalMessage().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(errorA).to.be.instanceOf(Anthropic.APIError);
    });
  });
}
