import { expect } from 'chai';
import { resolveCapability } from '../../../src/scopes/index.ts';

describe('resolveCapability', () => {
  describe('allowed OpenAI routes', () => {
    const cases: Array<[string, string, string]> = [
      ['POST', '/v1/chat/completions', 'chat'],
      ['POST', '/v1/responses', 'chat'],
      ['POST', '/v1/embeddings', 'embeddings'],
      ['POST', '/v1/images/generations', 'images'],
      ['POST', '/v1/images/edits', 'images'],
      ['POST', '/v1/images/variations', 'images'],
      ['POST', '/v1/audio/speech', 'audio'],
      ['POST', '/v1/audio/transcriptions', 'audio'],
      ['POST', '/v1/audio/translations', 'audio'],
      ['POST', '/v1/moderations', 'moderations'],
      ['GET', '/v1/models', 'models'],
    ];
    for (const [method, path, capability] of cases) {
      it(`${method} ${path} needs ${capability}`, () => {
        expect(resolveCapability('openai', method, path)).to.deep.equal({ capability });
      });
    }
  });

  describe('allowed Anthropic routes', () => {
    const cases: Array<[string, string, string]> = [
      ['POST', '/v1/messages', 'chat'],
      ['POST', '/v1/messages/count_tokens', 'chat'],
      ['GET', '/v1/models', 'models'],
    ];
    for (const [method, path, capability] of cases) {
      it(`${method} ${path} needs ${capability}`, () => {
        expect(resolveCapability('anthropic', method, path)).to.deep.equal({ capability });
      });
    }
  });

  it('ignores the query string', () => {
    expect(resolveCapability('anthropic', 'POST', '/v1/messages?beta=true')).to.deep.equal({
      capability: 'chat',
    });
    expect(resolveCapability('openai', 'GET', '/v1/models?after=x&limit=2')).to.deep.equal({
      capability: 'models',
    });
    expect(resolveCapability('openai', 'POST', '/v1/chat/completions?')).to.deep.equal({
      capability: 'chat',
    });
  });

  describe('model from the path', () => {
    it('reads a plain model id', () => {
      expect(resolveCapability('openai', 'GET', '/v1/models/gpt-4o')).to.deep.equal({
        capability: 'models',
        modelFromPath: 'gpt-4o',
      });
      expect(resolveCapability('anthropic', 'GET', '/v1/models/claude-sonnet-4-5')).to.deep.equal({
        capability: 'models',
        modelFromPath: 'claude-sonnet-4-5',
      });
    });

    it('decodes a percent-encoded fine-tuned model id once', () => {
      expect(
        resolveCapability('openai', 'GET', '/v1/models/ft%3Agpt-4o-mini%3Aorg%3A%3Aabc123'),
      ).to.deep.equal({
        capability: 'models',
        modelFromPath: 'ft:gpt-4o-mini:org::abc123',
      });
      expect(resolveCapability('openai', 'GET', '/v1/models/ft:gpt-4o-mini:org::abc123')).to.deep.equal({
        capability: 'models',
        modelFromPath: 'ft:gpt-4o-mini:org::abc123',
      });
    });

    const refused = [
      '/v1/models/*',
      '/v1/models/%2A',
      '/v1/models/gpt-*',
      '/v1/models/%2e%2e',
      '/v1/models/%2E',
      '/v1/models/..%2Ffiles',
      '/v1/models/%2F',
      '/v1/models/gpt%2F4o',
      '/v1/models/gpt%5C4o',
      '/v1/models/gpt%204o',
      '/v1/models/gpt%224o',
      '/v1/models/gpt%00',
      '/v1/models/gpt%0d%0aX-Injected:%201',
      '/v1/models/%C3%A9',
      '/v1/models/%E0%A4%A',
      '/v1/models/%C0%AF',
      '/v1/models/gpt%252F4o',
      '/v1/models/%3Agpt',
      '/v1/models/gpt-4o/',
      '/v1/models/gpt-4o/extra',
      '/v1/models//gpt-4o',
      `/v1/models/${'m'.repeat(300)}`,
    ];
    for (const path of refused) {
      it(`refuses GET ${path}`, () => {
        expect(resolveCapability('openai', 'GET', path)).to.equal(undefined);
      });
    }
  });

  describe('denied: stored state upstream and everything unlisted', () => {
    const openai: Array<[string, string]> = [
      ['GET', '/v1/responses/resp_123'],
      ['DELETE', '/v1/responses/resp_123'],
      ['POST', '/v1/responses/resp_123/cancel'],
      ['GET', '/v1/responses/resp_123/input_items'],
      ['POST', '/v1/responses/input_tokens'],
      ['GET', '/v1/responses'],
      ['GET', '/v1/chat/completions'],
      ['GET', '/v1/chat/completions/chatcmpl-123'],
      ['POST', '/v1/chat/completions/chatcmpl-123'],
      ['DELETE', '/v1/chat/completions/chatcmpl-123'],
      ['GET', '/v1/chat/completions/chatcmpl-123/messages'],
      ['GET', '/v1/files'],
      ['POST', '/v1/files'],
      ['GET', '/v1/files/file-abc/content'],
      ['DELETE', '/v1/files/file-abc'],
      ['POST', '/v1/uploads'],
      ['GET', '/v1/fine_tuning/jobs'],
      ['POST', '/v1/fine_tuning/jobs'],
      ['GET', '/v1/batches'],
      ['POST', '/v1/batches'],
      ['GET', '/v1/vector_stores'],
      ['POST', '/v1/vector_stores/vs_1/search'],
      ['GET', '/v1/assistants'],
      ['POST', '/v1/threads'],
      ['GET', '/v1/threads/thread_1/messages'],
      ['POST', '/v1/conversations'],
      ['GET', '/v1/conversations/conv_1/items'],
      ['DELETE', '/v1/models/ft:gpt-4o-mini:org::abc123'],
      ['DELETE', '/v1/models/gpt-4o'],
      ['POST', '/v1/models'],
      ['POST', '/v1/completions'],
      ['POST', '/v1/realtime/sessions'],
      ['GET', '/v1/organization/usage/completions'],
      ['POST', '/v1/evals'],
      ['GET', '/v1/containers'],
      ['GET', '/v1/chat/completions'],
      ['GET', '/v1/embeddings'],
      ['HEAD', '/v1/models'],
      ['OPTIONS', '/v1/chat/completions'],
      ['PUT', '/v1/chat/completions'],
      ['post', '/v1/chat/completions'],
      ['get', '/v1/models'],
    ];
    for (const [method, path] of openai) {
      it(`denies OpenAI ${method} ${path}`, () => {
        expect(resolveCapability('openai', method, path)).to.equal(undefined);
      });
    }

    const anthropic: Array<[string, string]> = [
      ['POST', '/v1/messages/batches'],
      ['GET', '/v1/messages/batches'],
      ['GET', '/v1/messages/batches/msgbatch_1/results'],
      ['DELETE', '/v1/messages/batches/msgbatch_1'],
      ['GET', '/v1/files'],
      ['POST', '/v1/files'],
      ['GET', '/v1/files/file_1/content'],
      ['POST', '/v1/complete'],
      ['GET', '/v1/messages'],
      ['POST', '/v1/skills'],
      ['DELETE', '/v1/models/claude-sonnet-4-5'],
      ['POST', '/v1/chat/completions'],
      ['POST', '/v1/embeddings'],
    ];
    for (const [method, path] of anthropic) {
      it(`denies Anthropic ${method} ${path}`, () => {
        expect(resolveCapability('anthropic', method, path)).to.equal(undefined);
      });
    }
  });

  describe('path tricks', () => {
    const tricks: Array<[string, string]> = [
      ['POST', '/v1/chat/completions/../files'],
      ['GET', '/v1/chat/completions/../files'],
      ['GET', '/v1/models/../files'],
      ['GET', '/v1/models/..'],
      ['GET', '/v1/models/.'],
      ['POST', '/v1/chat/completions/.'],
      ['GET', '/v1/Files'],
      ['GET', '/V1/models'],
      ['POST', '/v1/Chat/Completions'],
      ['GET', '//v1/files'],
      ['GET', '//v1/models'],
      ['POST', '//v1/chat/completions'],
      ['POST', '/v1//chat/completions'],
      ['POST', '/v1/chat/completions/'],
      ['GET', '/v1/models/'],
      ['POST', '/v1/chat%2Fcompletions'],
      ['POST', '/v1/chat%2fcompletions'],
      ['GET', '/v1/models%2F..%2Ffiles'],
      ['GET', '/v1%2Ffiles'],
      ['POST', '/v1/chat/%63ompletions'],
      ['POST', '/v1/chat/completions%2F..%2F..%2Ffiles'],
      ['POST', '/v1/chat/completions%00'],
      ['POST', '/v1/chat/completions;x=1'],
      ['POST', '/v1/chat/completions\\..\\..\\files'],
      ['POST', '/v1\\chat\\completions'],
      ['POST', '/v1/chat/completions#frag'],
      ['POST', '/v1/chat/completions%3F'],
      ['POST', '/v1/chat/completions '],
      ['POST', ' /v1/chat/completions'],
      ['POST', 'v1/chat/completions'],
      ['POST', '/openai/v1/chat/completions'],
      ['POST', '/chat/completions'],
      ['POST', 'http://evil.example/v1/chat/completions'],
      ['POST', ''],
      ['POST', '/'],
      ['POST', '/v1'],
      ['POST', '/v1/'],
    ];
    for (const [method, path] of tricks) {
      it(`denies ${method} ${JSON.stringify(path)}`, () => {
        expect(resolveCapability('openai', method, path)).to.equal(undefined);
      });
    }
  });

  it('denies unknown providers and prototype names', () => {
    expect(resolveCapability('google', 'POST', '/v1/chat/completions')).to.equal(undefined);
    expect(resolveCapability('OpenAI', 'POST', '/v1/chat/completions')).to.equal(undefined);
    expect(resolveCapability('__proto__', 'GET', '/v1/models')).to.equal(undefined);
    expect(resolveCapability('constructor', 'GET', '/v1/models')).to.equal(undefined);
  });

  it('does not give OpenAI routes to Anthropic or the reverse', () => {
    expect(resolveCapability('anthropic', 'POST', '/v1/chat/completions')).to.equal(undefined);
    expect(resolveCapability('openai', 'POST', '/v1/messages')).to.equal(undefined);
    expect(resolveCapability('openai', 'POST', '/v1/messages/count_tokens')).to.equal(undefined);
  });
});
