import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { createFakeUpstream, replyText } from '../../support/fake-upstream/index.ts';
import { useFakeUpstream } from './use-fake-upstream.ts';

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };
const message = {
  model: 'claude-haiku-5-5',
  max_tokens: 50,
  messages: [{ role: 'user' as const, content: 'hi' }],
};

async function readAll(stream: AsyncIterable<OpenAI.ChatCompletionChunk>, seen: string[]): Promise<void> {
  for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
}

describe('fake upstream: faults', () => {
  const setup = useFakeUpstream();

  it('drops the connection mid-stream: the SDK stream throws after the chunks sent', async () => {
    setup.fake.control.next({ fault: { kind: 'drop', afterEvents: 3 } });
    const stream = await setup.openai.chat.completions.create({ ...chat, stream: true });
    const seen: string[] = [];
    const error = await readAll(stream, seen).catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(Error);
    expect(seen).to.deep.equal(['', 'fake', ' reply']);
    const request = await setup.fake.control.waitForEnd();
    expect(request).to.deep.include({ dropped: true, aborted: false, finished: false, eventsSent: 3 });
  });

  it('drops an Anthropic stream: finalMessage rejects', async () => {
    setup.fake.control.next({ fault: { kind: 'drop', afterEvents: 4 } });
    const error = await setup.anthropic.messages
      .stream(message)
      .finalMessage()
      .catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(Error);
  });

  it('drops before answering: the SDK raises APIConnectionError', async () => {
    setup.fake.control.next({ fault: { kind: 'drop' } });
    const error = await setup.openai.chat.completions.create(chat).catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(OpenAI.APIConnectionError);
  });

  it('stalls a request until released', async () => {
    setup.fake.control.next({ fault: { kind: 'stall' } });
    const pending = setup.openai.chat.completions.create(chat);
    const stalled = await setup.fake.control.waitForStall();
    expect(stalled.status).to.equal(undefined);
    expect(setup.fake.control.release()).to.equal(1);
    const completion = await pending;
    expect(completion.choices[0]?.message.content).to.equal(replyText(20));
    expect(stalled).to.deep.include({ stalled: false, finished: true });
  });

  it('counts a release that comes before the stall is reached', async () => {
    setup.fake.control.next({ fault: { kind: 'stall', afterEvents: 5 } });
    const stream = await setup.openai.chat.completions.create({ ...chat, stream: true });
    await setup.fake.control.waitForRequest();
    setup.fake.control.release();
    const seen: string[] = [];
    await readAll(stream, seen);
    expect(seen.join('')).to.equal(replyText(20));
  });

  it('stalls mid-stream between chunks, then resumes', async () => {
    setup.fake.control.next({ fault: { kind: 'stall', afterEvents: 2 } });
    const stream = await setup.openai.chat.completions.create({ ...chat, stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.choices[0]?.delta.role).to.equal('assistant');
    expect((await iterator.next()).value?.choices[0]?.delta.content).to.equal('fake');
    const stalled = await setup.fake.control.waitForStall();
    expect(stalled.eventsSent).to.equal(2);
    setup.fake.control.release();
    let rest = 0;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest += 1;
    expect(rest).to.equal(20);
  });

  it('records a client abort of a stalled request', async () => {
    const since = setup.fake.requests.length;
    setup.fake.control.next({ fault: { kind: 'stall' } });
    const controller = new AbortController();
    const pending = setup.openai.chat.completions.create(chat, { signal: controller.signal });
    await setup.fake.control.waitForStall();
    controller.abort();
    expect(await pending.catch((caught: unknown) => caught)).to.be.instanceOf(OpenAI.APIUserAbortError);
    const aborted = await setup.fake.control.waitForAbort(undefined, { since });
    expect(aborted).to.deep.include({
      seq: since,
      aborted: true,
      finished: false,
      dropped: false,
      stalled: false,
    });
  });

  it('records a client that stops reading a stream as aborted', async () => {
    const since = setup.fake.requests.length;
    // message_start, content_block_start, ping, then the first content_block_delta
    setup.fake.control.next({ fault: { kind: 'stall', afterEvents: 4 } });
    const stream = setup.anthropic.messages.stream(message);
    let deltas = 0;
    for await (const event of stream) {
      if (event.type === 'content_block_delta') deltas += 1;
      if (deltas === 1) break;
    }
    const aborted = await setup.fake.control.waitForAbort(undefined, { since });
    expect(aborted.route).to.equal('/v1/messages');
    expect(aborted.eventsSent).to.equal(4);
  });

  it('times out an SDK call against a stalled upstream', async () => {
    const since = setup.fake.requests.length;
    setup.fake.control.next({ fault: { kind: 'stall' } });
    const error = await setup.openai.chat.completions
      .create(chat, { timeout: 50 })
      .catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(OpenAI.APIConnectionTimeoutError);
    expect((await setup.fake.control.waitForAbort(undefined, { since })).seq).to.equal(since);
  });

  it("sends the provider's in-stream error event (stream-error)", async () => {
    setup.fake.control.next({ fault: { kind: 'stream-error', afterEvents: 3, status: 529 } });
    const anthropicError = await setup.anthropic.messages
      .stream(message)
      .finalMessage()
      .catch((caught: unknown) => caught);
    expect(anthropicError).to.be.instanceOf(Anthropic.APIError);
    expect((anthropicError as InstanceType<typeof Anthropic.APIError>).type).to.equal('overloaded_error');

    setup.fake.control.next({ fault: { kind: 'stream-error', afterEvents: 2 } });
    const stream = await setup.openai.chat.completions.create({ ...chat, stream: true });
    const openaiError = await readAll(stream, []).catch((caught: unknown) => caught);
    expect(openaiError).to.be.instanceOf(OpenAI.APIError);
    expect((openaiError as InstanceType<typeof OpenAI.APIError>).type).to.equal('server_error');
  });

  it('paces events with chunkDelayMs and still delivers them all', async () => {
    setup.fake.control.set({ chunkDelayMs: 1, chunkCount: 4 });
    const final = await setup.openai.responses.stream({ model: 'gpt-4o-mini', input: 'hi' }).finalResponse();
    expect(final.output_text).to.equal(replyText(4));
  });

  it('close() ends stalled requests and open sockets at once', async () => {
    const fake = await createFakeUpstream();
    const client = new OpenAI({ apiKey: fake.openaiKey, baseURL: fake.openaiBaseURL, maxRetries: 0 });
    fake.control.always({ fault: { kind: 'stall' } });
    const pending = client.chat.completions.create(chat).catch((caught: unknown) => caught);
    const waiting = fake.control
      .waitForRequest((request) => request.seq === 99)
      .catch((caught: unknown) => caught);
    await fake.control.waitForStall();
    await fake.close();
    expect(await pending).to.be.instanceOf(OpenAI.APIConnectionError);
    expect(await waiting).to.be.instanceOf(Error);
    expect(fake.requests[0]).to.deep.include({ aborted: false, finished: false });
  });
});
