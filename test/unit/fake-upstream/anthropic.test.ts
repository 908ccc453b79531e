import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { anthropicInputTokens, anthropicUsage, replyText } from '../../support/fake-upstream/index.ts';
import { lastRequest, useFakeUpstream } from './use-fake-upstream.ts';

const body = {
  model: 'claude-sonnet-5-5',
  max_tokens: 100,
  system: 'You are terse.',
  messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'Hello there, Claude' }] }],
};

describe('fake upstream: Anthropic', () => {
  const setup = useFakeUpstream({ cachedTokens: 11, cacheWriteTokens: 4 });

  it('answers a plain message with the documented usage', async () => {
    const message = await setup.anthropic.messages.create(body);
    expect(message).to.deep.include({ type: 'message', role: 'assistant', stop_reason: 'end_turn' });
    expect(message.content).to.deep.equal([{ type: 'text', text: replyText(20) }]);
    expect(message.usage).to.deep.equal(anthropicUsage(body, setup.fake.control.settings));
    expect(message.usage).to.deep.equal({
      input_tokens: 6,
      output_tokens: 20,
      cache_creation_input_tokens: 4,
      cache_read_input_tokens: 11,
    });
  });

  it('streams to a final message whose usage matches, the last message_delta overwriting output_tokens', async () => {
    const stream = setup.anthropic.messages.stream(body);
    const events: string[] = [];
    stream.on('streamEvent', (event) => events.push(event.type));
    const final = await stream.finalMessage();
    expect(final.content).to.deep.equal([{ type: 'text', text: replyText(20) }]);
    expect(final.usage).to.deep.include(anthropicUsage(body, setup.fake.control.settings));
    expect(events[0]).to.equal('message_start');
    expect(events.slice(-3)).to.deep.equal(['content_block_stop', 'message_delta', 'message_stop']);
  });

  it('sends the documented event sequence, with ping after content_block_start', async () => {
    setup.fake.control.set({ chunkCount: 2 });
    const response = await fetch(`${setup.fake.anthropicBaseURL}/v1/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': setup.fake.anthropicKey,
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ ...body, stream: true }),
    });
    const blocks = (await response.text()).split('\n\n').filter(Boolean);
    expect(blocks.map((block) => block.split('\n')[0])).to.deep.equal([
      'event: message_start',
      'event: content_block_start',
      'event: ping',
      'event: content_block_delta',
      'event: content_block_delta',
      'event: content_block_stop',
      'event: message_delta',
      'event: message_stop',
    ]);
    const data = blocks.map((block) => JSON.parse(block.split('\n')[1]?.slice(6) ?? ''));
    expect(data[0].message.usage).to.deep.include({ input_tokens: 6, output_tokens: 1 });
    expect(data[6]).to.deep.equal({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 2 },
    });
  });

  it('stops at max_tokens with stop_reason max_tokens', async () => {
    const message = await setup.anthropic.messages.create({ ...body, max_tokens: 3 });
    expect(message.stop_reason).to.equal('max_tokens');
    expect(message.usage.output_tokens).to.equal(3);
  });

  it('counts tokens the same way messages report input_tokens', async () => {
    const { model, system, messages } = body;
    const count = await setup.anthropic.messages.countTokens({ model, system, messages });
    expect(count).to.deep.equal({ input_tokens: anthropicInputTokens(body) });
  });

  it('lists models in pages with first_id, last_id and has_more', async () => {
    const first = await setup.anthropic.models.list({ limit: 2 });
    expect(first.data.map((model) => model.id)).to.deep.equal(['claude-sonnet-5-5', 'claude-haiku-5-5']);
    expect(first).to.deep.include({
      has_more: true,
      first_id: 'claude-sonnet-5-5',
      last_id: 'claude-haiku-5-5',
    });
    const ids: string[] = [];
    for await (const model of setup.anthropic.models.list({ limit: 2 })) ids.push(model.id);
    expect(ids).to.deep.equal(['claude-sonnet-5-5', 'claude-haiku-5-5', 'claude-opus-5-5']);
  });

  it('accepts the key as x-api-key or as the bearer token the SDK sends', async () => {
    await setup.anthropic.models.list();
    expect(lastRequest(setup.fake).headers.authorization).to.equal(`Bearer ${setup.fake.anthropicKey}`);
    const viaHeader = new Anthropic({
      baseURL: setup.fake.anthropicBaseURL,
      maxRetries: 0,
      defaultHeaders: { 'x-api-key': setup.fake.anthropicKey, authorization: null },
    });
    await viaHeader.models.list();
    expect(lastRequest(setup.fake).headers['x-api-key']).to.equal(setup.fake.anthropicKey);
    expect(lastRequest(setup.fake).headers.authorization).to.equal(undefined);
  });

  it('requires anthropic-version', async () => {
    const response = await fetch(`${setup.fake.anthropicBaseURL}/v1/models`, {
      headers: { 'x-api-key': setup.fake.anthropicKey },
    });
    expect(response.status).to.equal(400);
    const body = (await response.json()) as { error: unknown };
    expect(body.error).to.deep.equal({
      type: 'invalid_request_error',
      message: 'anthropic-version: header is required',
    });
  });

  it('rejects a message without max_tokens as Anthropic does', async () => {
    const { max_tokens: _, ...missing } = body;
    const error = await setup.anthropic.messages
      .create(missing as Anthropic.MessageCreateParamsNonStreaming)
      .catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(Anthropic.BadRequestError);
    expect((error as Error).message).to.include('max_tokens: Field required');
  });
});
