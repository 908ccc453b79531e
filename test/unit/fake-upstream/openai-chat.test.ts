import { expect } from 'chai';
import OpenAI from 'openai';
import { chatUsage, replyText } from '../../support/fake-upstream/index.ts';
import { lastRequest, useFakeUpstream } from './use-fake-upstream.ts';

const messages: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: [{ type: 'text', text: 'Say hello to the  world' }] },
];

describe('fake upstream: OpenAI chat completions', () => {
  const setup = useFakeUpstream();

  it('answers a plain completion with the documented usage', async () => {
    const body = { model: 'gpt-4o-mini', messages };
    const completion = await setup.openai.chat.completions.create(body);
    expect(completion.object).to.equal('chat.completion');
    expect(completion.choices[0]?.message.content).to.equal(replyText(20));
    expect(completion.choices[0]?.finish_reason).to.equal('stop');
    expect(completion.usage).to.deep.equal(chatUsage(body, setup.fake.control.settings));
    expect(completion.usage?.prompt_tokens).to.equal(8);
    expect(completion.usage?.completion_tokens).to.equal(20);
  });

  it('streams role, content and finish chunks, then usage and [DONE] when include_usage is set', async () => {
    const body = { model: 'gpt-4o-mini', messages, stream_options: { include_usage: true } };
    const stream = await setup.openai.chat.completions.create({ ...body, stream: true });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks).to.have.length(1 + 20 + 1 + 1);
    expect(chunks[0]?.choices[0]?.delta).to.deep.equal({ role: 'assistant', content: '', refusal: null });
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).to.equal(replyText(20));
    expect(chunks.at(-2)?.choices[0]?.finish_reason).to.equal('stop');
    const last = chunks.at(-1);
    expect(last?.choices).to.deep.equal([]);
    expect(last?.usage).to.deep.equal(chatUsage(body, setup.fake.control.settings));
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).to.equal(true);
    expect(lastRequest(setup.fake).body.toString()).to.include('"include_usage":true');
  });

  it('sends no usage field at all without include_usage, and ends with data: [DONE]', async () => {
    const response = await fetch(`${setup.fake.openaiBaseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${setup.fake.openaiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages, stream: true }),
    });
    expect(response.headers.get('content-type')).to.equal('text/event-stream; charset=utf-8');
    const text = await response.text();
    expect(text).to.not.include('usage');
    expect(text.endsWith('data: [DONE]\n\n')).to.equal(true);
  });

  it('gives each of n choices its own index, and bills n replies', async () => {
    setup.fake.control.set({ chunkCount: 3 });
    const body = { model: 'gpt-4o-mini', messages, n: 2, stream_options: { include_usage: true } };
    const stream = await setup.openai.chat.completions.create({ ...body, stream: true });
    const texts = ['', ''];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) texts[choice.index] += choice.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(texts).to.deep.equal([replyText(3), replyText(3)]);
    expect(usage?.completion_tokens).to.equal(6);
    expect(usage).to.deep.equal(chatUsage(body, setup.fake.control.settings));
  });

  it('stops at max_completion_tokens with finish_reason length', async () => {
    setup.fake.control.set({ reasoningTokens: 2, cachedTokens: 5 });
    const body = { model: 'gpt-4o-mini', messages, max_completion_tokens: 7 };
    const completion = await setup.openai.chat.completions.create(body);
    expect(completion.choices[0]?.finish_reason).to.equal('length');
    expect(completion.choices[0]?.message.content).to.equal(replyText(5));
    expect(completion.usage?.completion_tokens).to.equal(7);
    expect(completion.usage?.completion_tokens_details?.reasoning_tokens).to.equal(2);
    expect(completion.usage?.prompt_tokens_details?.cached_tokens).to.equal(5);
    expect(completion.usage).to.deep.equal(chatUsage(body, setup.fake.control.settings));
  });

  it('applies per-request settings from a queued plan only to that request', async () => {
    setup.fake.control.next({ settings: { chunkCount: 2 } });
    const first = await setup.openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const second = await setup.openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(first.usage?.completion_tokens).to.equal(2);
    expect(second.usage?.completion_tokens).to.equal(20);
  });

  it('rejects a request without a model as OpenAI does', async () => {
    const error = await setup.openai.chat.completions
      .create({ messages } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).error).to.deep.equal({
      message: 'you must provide a model parameter',
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
  });
});
