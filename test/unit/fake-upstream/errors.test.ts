import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { useFakeUpstream } from './use-fake-upstream.ts';

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };
const message = {
  model: 'claude-haiku-5-5',
  max_tokens: 10,
  messages: [{ role: 'user' as const, content: 'hi' }],
};

const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );

describe('fake upstream: provider errors', () => {
  const setup = useFakeUpstream();

  it("rejects a wrong OpenAI key with OpenAI's 401 body, the key masked", async () => {
    const client = new OpenAI({
      apiKey: 'sk-wrong-0123456789abcd',
      baseURL: setup.fake.openaiBaseURL,
      maxRetries: 0,
    });
    const error = await caught(client.chat.completions.create(chat));
    expect(error).to.be.instanceOf(OpenAI.AuthenticationError);
    const { error: body } = error as InstanceType<typeof OpenAI.AuthenticationError>;
    expect(body).to.deep.equal({
      message:
        'Incorrect API key provided: sk-****************abcd. ' +
        'You can find your API key at https://platform.openai.com/account/api-keys.',
      type: 'invalid_request_error',
      param: null,
      code: 'invalid_api_key',
    });
  });

  it("rejects a wrong Anthropic key with Anthropic's 401 body", async () => {
    const client = new Anthropic({
      apiKey: 'sk-ant-wrong',
      baseURL: setup.fake.anthropicBaseURL,
      maxRetries: 0,
    });
    const error = await caught(client.messages.create(message));
    expect(error).to.be.instanceOf(Anthropic.AuthenticationError);
    const { error: body } = error as InstanceType<typeof Anthropic.AuthenticationError>;
    expect(body).to.deep.include({
      type: 'error',
      error: { type: 'authentication_error', message: 'invalid x-api-key' },
    });
  });

  it('answers a missing OpenAI key with 401 and no key echoed', async () => {
    const response = await fetch(`${setup.fake.openaiBaseURL}/models`);
    expect(response.status).to.equal(401);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).to.match(/^You didn't provide an API key/);
  });

  it('rejects the right key when told to (reject-key)', async () => {
    setup.fake.control.next({ fault: { kind: 'reject-key' } });
    expect(await caught(setup.openai.models.list())).to.be.instanceOf(OpenAI.AuthenticationError);
    expect((await setup.openai.models.list()).data).to.not.be.empty;
  });

  it('answers 500 so the SDK raises InternalServerError', async () => {
    setup.fake.control.next({ fault: { kind: 'status', status: 500 } });
    const error = await caught(setup.openai.chat.completions.create(chat));
    expect(error).to.be.instanceOf(OpenAI.InternalServerError);
    expect((error as InstanceType<typeof OpenAI.InternalServerError>).type).to.equal('server_error');
  });

  it('answers 429 with retry-after in the Anthropic shape', async () => {
    setup.fake.control.next({ fault: { kind: 'status', status: 429, retryAfter: 7 } });
    const error = await caught(setup.anthropic.messages.create(message));
    expect(error).to.be.instanceOf(Anthropic.RateLimitError);
    const rateLimit = error as InstanceType<typeof Anthropic.RateLimitError>;
    expect(rateLimit.headers?.get('retry-after')).to.equal('7');
    expect(rateLimit.type).to.equal('rate_limit_error');
  });

  it('answers 529 as Anthropic overloaded_error', async () => {
    setup.fake.control.next({ fault: { kind: 'status', status: 529 } });
    const error = await caught(setup.anthropic.messages.create(message));
    expect(error).to.be.instanceOf(Anthropic.InternalServerError);
    expect((error as InstanceType<typeof Anthropic.APIError>).status).to.equal(529);
  });

  it('queues a fault for a number of matching requests only', async () => {
    setup.fake.control.next(
      { fault: { kind: 'status', status: 503 } },
      { times: 2, match: (request) => request.provider === 'anthropic' },
    );
    await setup.openai.models.list();
    expect(await caught(setup.anthropic.models.list())).to.be.instanceOf(Anthropic.InternalServerError);
    expect(await caught(setup.anthropic.models.list())).to.be.instanceOf(Anthropic.InternalServerError);
    expect((await setup.anthropic.models.list()).data).to.not.be.empty;
  });

  it('keeps a persistent fault until cleared', async () => {
    setup.fake.control.always({ fault: { kind: 'status', status: 500 } });
    expect(await caught(setup.openai.models.list())).to.be.instanceOf(OpenAI.InternalServerError);
    expect(await caught(setup.openai.models.list())).to.be.instanceOf(OpenAI.InternalServerError);
    setup.fake.control.always(null);
    expect((await setup.openai.models.list()).data).to.not.be.empty;
  });
});
