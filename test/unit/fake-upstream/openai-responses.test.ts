import { expect } from 'chai';
import { replyText, responsesUsage } from '../../support/fake-upstream/index.ts';
import { useFakeUpstream } from './use-fake-upstream.ts';

const body = { model: 'gpt-4o-mini', instructions: 'Be brief.', input: 'What is a fake upstream?' };

/** Event names and payloads of a raw SSE body with `event:` lines. */
function parseNamedEvents(text: string): { event: string; data: Record<string, unknown> }[] {
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine?.slice('event: '.length) ?? '', data: JSON.parse(dataLine?.slice(6) ?? '') };
    });
}

describe('fake upstream: OpenAI Responses API', () => {
  const setup = useFakeUpstream();

  it('answers a plain response with one message item and the documented usage', async () => {
    const response = await setup.openai.responses.create(body);
    expect(response.status).to.equal('completed');
    expect(response.output_text).to.equal(replyText(20));
    expect(response.output).to.have.length(1);
    expect(response.usage).to.deep.equal(responsesUsage(body, setup.fake.control.settings));
    expect(response.usage?.input_tokens).to.equal(7);
  });

  it('streams through the SDK helper to a final response carrying usage', async () => {
    setup.fake.control.set({ cachedTokens: 3, reasoningTokens: 4 });
    const stream = setup.openai.responses.stream(body);
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    expect(deltas.join('')).to.equal(replyText(20));
    expect(final.output_text).to.equal(replyText(20));
    expect(final.usage).to.deep.equal(responsesUsage(body, setup.fake.control.settings));
    expect(final.usage?.input_tokens_details.cached_tokens).to.equal(3);
    expect(final.usage?.output_tokens).to.equal(24);
  });

  it('names every event and numbers them in order', async () => {
    setup.fake.control.set({ chunkCount: 2 });
    const response = await fetch(`${setup.fake.openaiBaseURL}/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${setup.fake.openaiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, stream: true }),
    });
    const events = parseNamedEvents(await response.text());
    expect(events.map((e) => e.event)).to.deep.equal([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.data.type)).to.deep.equal(events.map((e) => e.event));
    expect(events.map((e) => e.data.sequence_number)).to.deep.equal(events.map((_, i) => i));
  });

  it('ends with response.incomplete when max_output_tokens cuts the reply', async () => {
    const capped = { ...body, max_output_tokens: 5 };
    const final = await setup.openai.responses.stream(capped).finalResponse();
    expect(final.status).to.equal('incomplete');
    expect(final.incomplete_details).to.deep.equal({ reason: 'max_output_tokens' });
    expect(final.output_text).to.equal(replyText(5));
    expect(final.usage).to.deep.equal(responsesUsage(capped, setup.fake.control.settings));
  });
});
