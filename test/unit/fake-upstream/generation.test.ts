import { expect } from 'chai';
import type OpenAI from 'openai';
import {
  anthropicUsage,
  chatUsage,
  contentDeltas,
  type Generated,
  replyText,
  responsesUsage,
} from '../../support/fake-upstream/index.ts';
import { type FakeSetup, useFakeUpstream } from './use-fake-upstream.ts';

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'three words here' }] };
const responses = { model: 'gpt-5.5', input: 'two words' };
const message = {
  model: 'claude-haiku-5-5',
  max_tokens: 1000,
  messages: [{ role: 'user' as const, content: 'four words in here' }],
};

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** The one generation recorded since the last reset. */
async function onlyGeneration(setup: FakeSetup): Promise<Generated> {
  const request = await setup.fake.control.waitForEnd();
  const found = setup.fake.generated((r) => r.seq === request.seq);
  expect(found).to.have.length(1);
  return found[0] as Generated;
}

describe('fake upstream: streams of N deltas and the generation counter', () => {
  const setup = useFakeUpstream();

  describe('N deltas of a few tokens, usage only at the end', () => {
    it('OpenAI chat with include_usage: N content deltas of chunkTokens words, usage only in the last chunk', async () => {
      setup.fake.control.set({ chunkCount: 5, chunkTokens: 3 });
      const body = { ...chat, stream: true as const, stream_options: { include_usage: true } };
      const chunks: OpenAI.ChatCompletionChunk[] = [];
      for await (const chunk of await setup.openai.chat.completions.create(body)) chunks.push(chunk);
      const deltas = chunks.map((c) => c.choices[0]?.delta.content).filter((c) => c);
      expect(deltas).to.deep.equal(contentDeltas(15, 3));
      expect(deltas.map((d) => words(d as string))).to.deep.equal([3, 3, 3, 3, 3]);
      expect(deltas.join('')).to.equal(replyText(15));
      expect(chunks.slice(0, -1).every((c) => c.usage === null)).to.equal(true);
      const usage = chatUsage(body, setup.fake.control.settings);
      expect(chunks.at(-1)?.usage).to.deep.equal(usage);
      expect(usage.completion_tokens).to.equal(15);
      expect(await onlyGeneration(setup)).to.deep.include({
        model: 'gpt-4o-mini',
        inputTokens: 3,
        outputTokens: 15,
        plannedOutputTokens: 15,
        completed: true,
        provider: 'openai',
        route: '/v1/chat/completions',
      });
    });

    it('OpenAI chat without include_usage: no usage anywhere, the generation still counted', async () => {
      setup.fake.control.set({ chunkCount: 4, chunkTokens: 2 });
      const chunks: OpenAI.ChatCompletionChunk[] = [];
      for await (const chunk of await setup.openai.chat.completions.create({ ...chat, stream: true })) {
        chunks.push(chunk);
      }
      expect(chunks.some((c) => 'usage' in c)).to.equal(false);
      expect(chunks.map((c) => c.choices[0]?.delta.content).filter((c) => c)).to.have.length(4);
      expect(await onlyGeneration(setup)).to.deep.include({ outputTokens: 8, completed: true });
    });

    it('waits chunkDelayMs between deltas', async () => {
      setup.fake.control.set({ chunkCount: 6, chunkDelayMs: 15 });
      const arrivals: number[] = [];
      const stream = await setup.openai.chat.completions.create({ ...chat, stream: true });
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) arrivals.push(Date.now());
      expect(arrivals).to.have.length(6);
      const gaps = arrivals.slice(1).map((at, i) => at - (arrivals[i] as number));
      // Timers may fire a millisecond early; never a whole delay.
      for (const gap of gaps) expect(gap).to.be.at.least(13);
    });

    it('OpenAI Responses: output_text deltas, then response.completed with the usage', async () => {
      setup.fake.control.set({ chunkCount: 3, chunkTokens: 4 });
      const body = { ...responses, stream: true as const };
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of await setup.openai.responses.create(body)) events.push(event);
      const deltas = events.filter((e) => e.type === 'response.output_text.delta');
      expect(deltas.map((d) => words(d.delta))).to.deep.equal([4, 4, 4]);
      const last = events.at(-1);
      expect(last?.type).to.equal('response.completed');
      expect(last?.type === 'response.completed' && last.response.usage).to.deep.equal(
        responsesUsage(body, setup.fake.control.settings),
      );
      for (const event of events.slice(0, -1)) {
        if ('response' in event) expect(event.response.usage).to.equal(null);
      }
      expect(await onlyGeneration(setup)).to.deep.include({
        model: 'gpt-5.5',
        inputTokens: 2,
        outputTokens: 12,
        completed: true,
      });
    });

    it('Anthropic: message_start with the input and a small output count, message_delta with the final count', async () => {
      setup.fake.control.set({ chunkCount: 5, chunkTokens: 2 });
      const events: { type: string; usage?: unknown; text?: string }[] = [];
      const stream = setup.anthropic.messages.stream(message);
      for await (const event of stream) {
        // A copy: the helper's final message is this object, updated by message_delta.
        if (event.type === 'message_start')
          events.push({ type: event.type, usage: { ...event.message.usage } });
        else if (event.type === 'message_delta') events.push({ type: event.type, usage: event.usage });
        else if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
          events.push({ type: event.type, text: event.delta.text });
        else events.push({ type: event.type });
      }
      const usage = anthropicUsage(message, setup.fake.control.settings);
      expect(events[0]).to.deep.equal({ type: 'message_start', usage: { ...usage, output_tokens: 1 } });
      const deltas = events.filter((e) => e.type === 'content_block_delta');
      expect(deltas.map((d) => words(d.text as string))).to.deep.equal([2, 2, 2, 2, 2]);
      expect(events.at(-2)).to.deep.equal({ type: 'message_delta', usage: { output_tokens: 10 } });
      expect(events.at(-1)).to.deep.equal({ type: 'message_stop' });
      expect(await onlyGeneration(setup)).to.deep.include({
        model: 'claude-haiku-5-5',
        inputTokens: 4,
        outputTokens: 10,
        completed: true,
        provider: 'anthropic',
      });
    });
  });

  describe('the request’s own bound', () => {
    it('chat: never more than max_completion_tokens per choice, × n choices', async () => {
      setup.fake.control.set({ chunkCount: 10, chunkTokens: 3, reasoningTokens: 2 });
      const body = {
        ...chat,
        n: 3,
        max_completion_tokens: 10,
        stream: true as const,
        stream_options: { include_usage: true },
      };
      const perChoice = new Map<number, string>();
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of await setup.openai.chat.completions.create(body)) {
        usage = chunk.usage ?? usage;
        for (const c of chunk.choices)
          perChoice.set(c.index, (perChoice.get(c.index) ?? '') + (c.delta.content ?? ''));
      }
      // 2 reasoning + 8 words of content per choice.
      expect([...perChoice.values()]).to.deep.equal([replyText(8), replyText(8), replyText(8)]);
      expect(usage?.completion_tokens).to.equal(30);
      expect(await onlyGeneration(setup)).to.deep.include({ outputTokens: 30, completed: true });
    });

    it('chat: max_tokens bounds a plain completion too', async () => {
      setup.fake.control.set({ chunkCount: 10, chunkTokens: 3 });
      const completion = await setup.openai.chat.completions.create({ ...chat, max_tokens: 7 });
      expect(completion.usage?.completion_tokens).to.equal(7);
      expect(completion.choices[0]?.finish_reason).to.equal('length');
      expect(await onlyGeneration(setup)).to.deep.include({ outputTokens: 7, completed: true });
    });

    it('Responses: max_output_tokens, the last delta shorter', async () => {
      setup.fake.control.set({ chunkCount: 10, chunkTokens: 3 });
      const deltas: string[] = [];
      const body = { ...responses, max_output_tokens: 8, stream: true as const };
      for await (const event of await setup.openai.responses.create(body)) {
        if (event.type === 'response.output_text.delta') deltas.push(event.delta);
      }
      expect(deltas.map(words)).to.deep.equal([3, 3, 2]);
      expect(await onlyGeneration(setup)).to.deep.include({ outputTokens: 8, completed: true });
    });

    it('Anthropic: max_tokens', async () => {
      setup.fake.control.set({ chunkCount: 10, chunkTokens: 3 });
      const final = await setup.anthropic.messages.stream({ ...message, max_tokens: 5 }).finalMessage();
      expect(final.usage.output_tokens).to.equal(5);
      expect(final.stop_reason).to.equal('max_tokens');
      expect(await onlyGeneration(setup)).to.deep.include({ outputTokens: 5, completed: true });
    });
  });

  describe('a client that leaves midway', () => {
    // 50 deltas of 2 tokens, 10 ms apart: the client leaves after 3.
    beforeEach(() => setup.fake.control.set({ chunkCount: 50, chunkTokens: 2, chunkDelayMs: 10 }));

    /** Waits until the fake saw the abort, then checks the count stopped and stays stopped. */
    async function expectStoppedShort(seen: number): Promise<Generated> {
      await setup.fake.control.waitForAbort();
      const generation = await onlyGeneration(setup);
      expect(generation.completed).to.equal(false);
      expect(generation.plannedOutputTokens).to.equal(100);
      expect(generation.outputTokens).to.be.at.least(seen);
      expect(generation.outputTokens).to.be.below(30);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(setup.fake.generated().at(-1)?.outputTokens, 'no more generated').to.equal(
        generation.outputTokens,
      );
      return generation;
    }

    it('OpenAI chat: abort() mid-stream stops the generation', async () => {
      const controller = new AbortController();
      const stream = await setup.openai.chat.completions.create(
        { ...chat, stream: true, stream_options: { include_usage: true } },
        { signal: controller.signal },
      );
      let seen = 0;
      // The SDK's stream ends (or throws) once aborted.
      await (async () => {
        for await (const chunk of stream) {
          seen += words(chunk.choices[0]?.delta.content ?? '');
          if (seen >= 6) controller.abort();
        }
      })().catch(() => undefined);
      await expectStoppedShort(seen);
    });

    it('OpenAI Responses: abort() mid-stream stops the generation', async () => {
      const controller = new AbortController();
      const stream = await setup.openai.responses.create(
        { ...responses, stream: true },
        { signal: controller.signal },
      );
      let seen = 0;
      await (async () => {
        for await (const event of stream) {
          if (event.type === 'response.output_text.delta') seen += words(event.delta);
          if (seen >= 6) controller.abort();
        }
      })().catch(() => undefined);
      await expectStoppedShort(seen);
    });

    it('Anthropic: abort() mid-stream stops the generation', async () => {
      const stream = setup.anthropic.messages.stream(message);
      let seen = 0;
      stream.on('text', (text) => {
        seen += words(text);
        if (seen >= 6) stream.abort();
      });
      await stream.done().catch(() => undefined);
      await expectStoppedShort(seen);
    });

    it('a drop fault or an in-stream error stops it too, at the events sent', async () => {
      setup.fake.control.set({ chunkDelayMs: 0 });
      // The role chunk, then 3 deltas of 2 tokens.
      setup.fake.control.next({ fault: { kind: 'drop', afterEvents: 4 } });
      const dropped = await setup.openai.chat.completions.create({ ...chat, stream: true });
      await (async () => {
        for await (const _ of dropped);
      })().catch(() => undefined);
      expect(await onlyGeneration(setup)).to.deep.include({ outputTokens: 6, completed: false });
      setup.fake.control.reset();
      setup.fake.control.set({ chunkCount: 50, chunkTokens: 2 });
      setup.fake.control.next({ fault: { kind: 'stream-error', afterEvents: 5 } });
      await setup.anthropic.messages
        .stream(message)
        .finalMessage()
        .catch(() => undefined);
      // message_start, content_block_start, ping, then 2 deltas.
      expect(await onlyGeneration(setup)).to.deep.include({ outputTokens: 4, completed: false });
    });
  });

  it('nothing generated for a refusal; the total sums what was', async () => {
    const since = setup.fake.requests.length;
    setup.fake.control.next({ fault: { kind: 'reject-key' } });
    await setup.openai.chat.completions.create(chat).catch(() => undefined);
    setup.fake.control.next({ fault: { kind: 'status', status: 429 } });
    await setup.anthropic.messages.create(message).catch(() => undefined);
    await setup.openai.chat.completions.create({ ...chat, max_tokens: 5 });
    await setup.anthropic.messages.create(message);
    await setup.openai.embeddings.create({ model: 'text-embedding-3-small', input: 'not a generation' });
    const mine = (r: { seq: number }) => r.seq >= since;
    expect(setup.fake.generated(mine).map((g) => g.seq)).to.deep.equal([since + 2, since + 3]);
    expect(setup.fake.generated(mine)[0]?.requestId).to.equal(
      `req_fake${String(since + 2).padStart(6, '0')}`,
    );
    expect(setup.fake.generated(mine)[0]?.request).to.equal(setup.fake.requests[since + 2]);
    expect(setup.fake.generatedTotal(mine)).to.deep.equal({
      requests: 2,
      inputTokens: 3 + 4,
      outputTokens: 25,
    });
  });
});
