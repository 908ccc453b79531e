import { expect } from 'chai';
import OpenAI from 'openai';
import { type FakeOpenAI, startFakeOpenAI } from '../../../src/demo/fake-openai.ts';

const KEY = 'sk-proj-this-key-must-never-be-printed-0123456789';

describe('demo/fake OpenAI', () => {
  let fake: FakeOpenAI;
  const said: string[] = [];

  before(async () => {
    fake = await startFakeOpenAI({ host: '127.0.0.1', port: 0, say: (line) => said.push(line) });
  });
  after(() => fake.close());

  const sdk = () => new OpenAI({ apiKey: KEY, baseURL: `${fake.url}/v1`, maxRetries: 0 });

  it('answers a chat completion through the official SDK, labelled, with usage, counting it', async () => {
    const completion = await sdk().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: 'first question' }] },
      ],
    });
    expect(completion.choices[0]?.message.content).to.match(/^\[fake OpenAI\] .*You asked: "first question"/);
    expect(completion.usage?.prompt_tokens).to.equal(2);
    expect(completion.usage?.total_tokens).to.be.greaterThan(2);
    expect(fake.answered()).to.equal(1);
  });

  it('refuses what it does not serve, in OpenAI’s error shape, and never prints the key', async () => {
    const refused = async (call: () => Promise<unknown>) => {
      try {
        await call();
      } catch (err) {
        expect(err).to.be.instanceOf(OpenAI.APIError);
        expect((err as InstanceType<typeof OpenAI.APIError>).message).to.include('[fake OpenAI]');
        return (err as InstanceType<typeof OpenAI.APIError>).status;
      }
      throw new Error('expected a refusal');
    };
    expect(
      await refused(() => sdk().embeddings.create({ model: 'text-embedding-3-small', input: 'x' })),
    ).to.equal(404);
    expect(
      await refused(() =>
        sdk().chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'x' }],
          stream: true,
        }),
      ),
    ).to.equal(400);
    const noKey = await fetch(`${fake.url}/v1/chat/completions`, { method: 'POST', body: '{"model":"m"}' });
    expect(noKey.status).to.equal(401);
    const notJson = await fetch(`${fake.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer x' },
      body: 'not json',
    });
    expect(notJson.status).to.equal(400);
    const huge = await fetch(`${fake.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer x' },
      body: 'x'.repeat(2 * 1024 * 1024),
    }).catch((err: Error) => err);
    if (!(huge instanceof Error)) expect(huge.status).to.not.equal(200);
    expect(fake.answered()).to.equal(1);
    for (const line of said) expect(line).to.match(/^\[fake OpenAI\] /);
    expect(said.join('\n')).to.not.include(KEY);
  });
});
