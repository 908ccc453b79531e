import { expect } from 'chai';
import OpenAI, { toFile } from 'openai';
import {
  embeddingsUsage,
  fakeEmbedding,
  fakeSpeech,
  replyText,
  TINY_PNG_BASE64,
  transcriptionUsage,
} from '../../support/fake-upstream/index.ts';
import { lastRequest, useFakeUpstream } from './use-fake-upstream.ts';

describe('fake upstream: other OpenAI endpoints', () => {
  const setup = useFakeUpstream();

  it('embeds with base64 on the wire (the SDK default) and decodes to the fake vectors', async () => {
    const body = { model: 'text-embedding-3-small', input: ['one two', 'three'] };
    const result = await setup.openai.embeddings.create(body);
    expect(lastRequest(setup.fake).json).to.deep.include({ encoding_format: 'base64' });
    expect(result.data.map((item) => item.embedding)).to.deep.equal([
      fakeEmbedding(0, 8),
      fakeEmbedding(1, 8),
    ]);
    expect(result.usage).to.deep.equal(embeddingsUsage(body));
    expect(result.usage.prompt_tokens).to.equal(3);
  });

  it('embeds as float arrays when asked, honouring dimensions', async () => {
    const result = await setup.openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'hello',
      encoding_format: 'float',
      dimensions: 4,
    });
    expect(result.data[0]?.embedding).to.deep.equal(fakeEmbedding(0, 4));
  });

  it('lists and retrieves models, and 404s an unknown one', async () => {
    const page = await setup.openai.models.list();
    expect(page.data.map((model) => model.id)).to.include('gpt-4o-mini');
    const model = await setup.openai.models.retrieve('gpt-4o-mini');
    expect(model).to.deep.equal({
      id: 'gpt-4o-mini',
      object: 'model',
      created: 1_700_000_000,
      owned_by: 'system',
    });
    const error = await setup.openai.models.retrieve('gpt-nope').catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).to.equal('model_not_found');
  });

  it('moderates each input', async () => {
    const result = await setup.openai.moderations.create({
      model: 'omni-moderation-latest',
      input: ['a', 'b'],
    });
    expect(result.results).to.have.length(2);
    expect(result.results[0]?.flagged).to.equal(false);
  });

  it('generates images inline for gpt-image models', async () => {
    const result = await setup.openai.images.generate({ model: 'gpt-image-1', prompt: 'a small cat', n: 2 });
    expect(result.data?.map((image) => image.b64_json)).to.deep.equal([TINY_PNG_BASE64, TINY_PNG_BASE64]);
    expect(result.usage?.input_tokens).to.equal(3);
  });

  it('returns speech as a binary body', async () => {
    const response = await setup.openai.audio.speech.create({
      model: 'gpt-4o-mini-tts',
      voice: 'alloy',
      input: 'Hello there',
      response_format: 'wav',
    });
    expect(response.headers.get('content-type')).to.equal('audio/wav');
    expect(Buffer.from(await response.arrayBuffer())).to.deep.equal(fakeSpeech('wav', 'Hello there'));
  });

  it('transcribes a multipart upload to JSON with usage', async () => {
    const audio = Buffer.alloc(2_500, 1);
    const result = await setup.openai.audio.transcriptions.create({
      model: 'gpt-4o-transcribe',
      file: await toFile(audio, 'clip.mp3'),
    });
    expect(lastRequest(setup.fake).headers['content-type']).to.match(/^multipart\/form-data; boundary=/);
    expect(result.text).to.equal(replyText(20));
    expect(result.usage).to.deep.equal(
      transcriptionUsage('gpt-4o-transcribe', audio.length, '', setup.fake.control.settings),
    );
  });

  it("answers an unknown path with OpenAI's 404", async () => {
    const error = await setup.openai.get('/fine_tuning/nothing-here').catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(OpenAI.NotFoundError);
    expect((error as Error).message).to.include('Invalid URL (GET /v1/fine_tuning/nothing-here)');
  });
});
