import { expect } from 'chai';
import { matchEndpoint, PROVIDER_SPECS } from '../../../../src/proxy/endpoints/index.ts';
import { chatUsage } from '../../../../src/proxy/endpoints/openai/usage-readers.ts';
import { ProxyError } from '../../../../src/proxy/errors/proxy-error.ts';
import { capabilitiesFor, BUILTIN_PROVIDERS as PROVIDERS } from '../../../../src/scopes/index.ts';

/** The capability (and model from the path) of a request, or undefined when it is refused. */
function capabilityOf(provider: string, method: string, path: string) {
  let match: ReturnType<typeof matchEndpoint>;
  try {
    match = matchEndpoint(method, `/${provider}${path}`);
  } catch (err) {
    expect(err).to.be.instanceOf(ProxyError);
    expect(['unknown_endpoint', 'endpoint_denied']).to.include((err as ProxyError).code);
    return undefined;
  }
  expect(match.provider.id).to.equal(provider);
  const resolved = { capability: match.spec.capability };
  return match.modelFromPath === undefined ? resolved : { ...resolved, modelFromPath: match.modelFromPath };
}

const codeOf = (method: string, path: string): string => {
  try {
    matchEndpoint(method, path);
  } catch (err) {
    return (err as ProxyError).code;
  }
  return 'matched';
};

describe('the endpoint table', () => {
  const all = PROVIDERS.flatMap((id) => PROVIDER_SPECS[id].endpoints.map((spec) => ({ id, spec })));

  it('resolves every spec from its own method and path, with its query string too', () => {
    expect(all.length).to.be.greaterThan(10);
    for (const { id, spec } of all) {
      for (const version of PROVIDER_SPECS[id].apiVersions ?? ['v1']) {
        const path = `/${id}${spec.path.replace('{model}', 'some-model').replace('{version}', version)}`;
        for (const url of [path, `${path}?x=1`]) {
          const match = matchEndpoint(spec.method, url);
          expect(match.spec, `${spec.method} ${url}`).to.equal(spec);
          expect(match.provider.id).to.equal(id);
          expect(match.upstreamPath).to.equal(path.slice(id.length + 1));
          if (spec.model === 'path') expect(match.modelFromPath).to.equal('some-model');
        }
        // Any other method is refused.
        const other = spec.method === 'GET' ? 'POST' : 'GET';
        expect(codeOf(other, path), `${other} ${path}`).to.not.equal('matched');
      }
    }
  });

  it('gives no two specs of a provider the same path, and uses only GET and POST under /v1/ (or a version)', () => {
    for (const id of PROVIDERS) {
      const paths = PROVIDER_SPECS[id].endpoints.map((spec) => spec.path);
      expect(new Set(paths).size, id).to.equal(paths.length);
      for (const spec of PROVIDER_SPECS[id].endpoints) {
        expect(['GET', 'POST']).to.include(spec.method);
        if (PROVIDER_SPECS[id].apiVersions) expect(spec.path).to.match(/^\/\{version\}\/[A-Za-z_/{}:]+$/);
        else expect(spec.path).to.match(/^\/v1\/[a-z_/{}]+$/);
      }
    }
  });

  it('says what each spec reads: a JSON or form body for POST, none for GET; a path model only with {model}', () => {
    for (const { spec } of all) {
      const what = `${spec.method} ${spec.path}`;
      if (spec.method === 'GET') expect(spec.body, what).to.equal('none');
      else expect(spec.body, what).to.not.equal('none');
      expect(spec.model === 'path', what).to.equal(spec.path.includes('{model}'));
      if (spec.cost.outputField) expect(spec.cost.bound, what).to.be.a('function');
      if (spec.streamUsage) expect(spec.usage, what).to.equal(chatUsage);
    }
  });

  it('covers exactly the capabilities the scopes offer, per provider', () => {
    for (const id of PROVIDERS) {
      const used = new Set(PROVIDER_SPECS[id].endpoints.map((spec) => spec.capability));
      expect([...used].sort(), id).to.deep.equal([...capabilitiesFor(id)].sort());
    }
  });

  it('refuses paths it does not list: 403 for stored state, 404 for the rest, under each prefix', () => {
    expect(codeOf('GET', '/openai/v1/files')).to.equal('endpoint_denied');
    expect(codeOf('GET', '/openai/v1/responses/resp_1')).to.equal('endpoint_denied');
    expect(codeOf('DELETE', '/openai/v1/models/gpt-4o')).to.equal('endpoint_denied');
    expect(codeOf('GET', '/anthropic/v1/messages/batches')).to.equal('endpoint_denied');
    expect(codeOf('POST', '/openai/v1/completions')).to.equal('unknown_endpoint');
    expect(codeOf('POST', '/anthropic/v1/complete')).to.equal('unknown_endpoint');
    expect(codeOf('POST', '/openai/v2/chat/completions')).to.equal('unknown_endpoint');
    expect(codeOf('POST', '/azure/v1/chat/completions')).to.equal('unknown_endpoint');
    expect(codeOf('POST', '/nope')).to.equal('unknown_endpoint');
    expect(codeOf('POST', '/openai')).to.equal('unknown_endpoint');
    expect(codeOf('POST', '/openai/v1')).to.equal('unknown_endpoint');
    const refusal = (() => {
      try {
        matchEndpoint('GET', '/openai/v1/files?purpose=x');
      } catch (err) {
        return err as ProxyError;
      }
    })();
    expect(refusal?.status).to.equal(403);
    expect(refusal?.message).to.include('GET /v1/files').and.include("data stored on the person's account");
    expect(refusal?.message).to.not.include('purpose');
  });
});

describe('matchEndpoint: method + path → capability', () => {
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
        expect(capabilityOf('openai', method, path)).to.deep.equal({ capability });
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
        expect(capabilityOf('anthropic', method, path)).to.deep.equal({ capability });
      });
    }
  });

  describe('allowed Gemini routes, under v1beta and v1', () => {
    const cases: Array<[string, string, string]> = [
      ['POST', '/models/gemini-2.5-flash:generateContent', 'chat'],
      ['POST', '/models/gemini-2.5-flash:streamGenerateContent', 'chat'],
      ['POST', '/models/gemini-2.5-flash:countTokens', 'chat'],
      ['POST', '/models/gemini-embedding-001:embedContent', 'embeddings'],
      ['POST', '/models/gemini-embedding-001:batchEmbedContents', 'embeddings'],
      ['GET', '/models/gemini-2.5-flash', 'models'],
    ];
    for (const version of ['v1beta', 'v1']) {
      for (const [method, path, capability] of cases) {
        it(`${method} /${version}${path} needs ${capability}, model from the path`, () => {
          expect(capabilityOf('google', method, `/${version}${path}`)).to.deep.equal({
            capability,
            modelFromPath: /models\/([^:]+)/.exec(path)?.[1],
          });
        });
      }
      it(`GET /${version}/models is a listing`, () => {
        expect(capabilityOf('google', 'GET', `/${version}/models`)).to.deep.equal({ capability: 'models' });
      });
    }

    const denied: Array<[string, string, string]> = [
      ['GET', '/v1beta/files', 'endpoint_denied'],
      ['POST', '/v1beta/files', 'endpoint_denied'],
      ['GET', '/v1beta/files/abc', 'endpoint_denied'],
      ['POST', '/v1beta/cachedContents', 'endpoint_denied'],
      ['GET', '/v1/cachedContents/xyz', 'endpoint_denied'],
      ['POST', '/v1beta/tunedModels/my-model:generateContent', 'endpoint_denied'],
      ['GET', '/v1beta/tunedModels', 'endpoint_denied'],
      ['GET', '/v1beta/batches/b1', 'endpoint_denied'],
      ['POST', '/v1beta/corpora', 'endpoint_denied'],
      ['POST', '/v1beta/fileSearchStores', 'endpoint_denied'],
      ['GET', '/v1beta/operations', 'endpoint_denied'],
      ['POST', '/v1beta/models/gemini-2.5-flash:batchGenerateContent', 'unknown_endpoint'],
      ['POST', '/v1beta/models/gemini-2.5-flash:asyncBatchEmbedContent', 'unknown_endpoint'],
      ['POST', '/v1beta/models/gemini-2.5-flash:predict', 'unknown_endpoint'],
      ['GET', '/v1beta/models/gemini-2.5-flash:generateContent', 'unknown_endpoint'],
      ['POST', '/v1beta/models/gemini-2.5-flash', 'unknown_endpoint'],
      ['POST', '/v1beta/models/:generateContent', 'unknown_endpoint'],
      ['POST', '/v1beta/models/a:b:generateContent', 'unknown_endpoint'],
      ['POST', '/v1beta/models/gemini%3AgenerateContent', 'unknown_endpoint'],
      ['POST', '/v1beta/models/gemini-2.5-flash%3AgenerateContent', 'unknown_endpoint'],
      ['POST', '/v1beta/models/gemini-2.5-flash:generatecontent', 'unknown_endpoint'],
      ['POST', '/v1beta/models/gemini-2.5-flash:generateContentX', 'unknown_endpoint'],
      ['POST', '/v1beta/models/*:generateContent', 'unknown_endpoint'],
      ['POST', '/v1beta/models/..:generateContent', 'unknown_endpoint'],
      ['POST', '/v1beta/models/x%2F..%2F..%2Ffiles:generateContent', 'unknown_endpoint'],
      ['POST', '/v1beta1/models/gemini-2.5-flash:generateContent', 'unknown_endpoint'],
      ['POST', '/v1alpha/models/gemini-2.5-flash:generateContent', 'unknown_endpoint'],
      ['POST', '/v2/models/gemini-2.5-flash:generateContent', 'unknown_endpoint'],
      ['POST', '/v1beta/projects/p/locations/l/models/m:generateContent', 'unknown_endpoint'],
    ];
    for (const [method, path, code] of denied) {
      it(`refuses Gemini ${method} ${path}: ${code}`, () => {
        expect(codeOf(method, `/google${path}`)).to.equal(code);
      });
    }
  });

  it('ignores the query string', () => {
    expect(capabilityOf('anthropic', 'POST', '/v1/messages?beta=true')).to.deep.equal({
      capability: 'chat',
    });
    expect(capabilityOf('openai', 'GET', '/v1/models?after=x&limit=2')).to.deep.equal({
      capability: 'models',
    });
    expect(capabilityOf('openai', 'POST', '/v1/chat/completions?')).to.deep.equal({
      capability: 'chat',
    });
  });

  describe('model from the path', () => {
    it('reads a plain model id', () => {
      expect(capabilityOf('openai', 'GET', '/v1/models/gpt-4o')).to.deep.equal({
        capability: 'models',
        modelFromPath: 'gpt-4o',
      });
      expect(capabilityOf('anthropic', 'GET', '/v1/models/claude-sonnet-4-5')).to.deep.equal({
        capability: 'models',
        modelFromPath: 'claude-sonnet-4-5',
      });
    });

    it('decodes a percent-encoded fine-tuned model id once', () => {
      expect(capabilityOf('openai', 'GET', '/v1/models/ft%3Agpt-4o-mini%3Aorg%3A%3Aabc123')).to.deep.equal({
        capability: 'models',
        modelFromPath: 'ft:gpt-4o-mini:org::abc123',
      });
      expect(capabilityOf('openai', 'GET', '/v1/models/ft:gpt-4o-mini:org::abc123')).to.deep.equal({
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
        expect(capabilityOf('openai', 'GET', path)).to.equal(undefined);
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
        expect(capabilityOf('openai', method, path)).to.equal(undefined);
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
        expect(capabilityOf('anthropic', method, path)).to.equal(undefined);
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
        expect(capabilityOf('openai', method, path)).to.equal(undefined);
      });
    }
  });

  it('denies unknown providers and prototype names', () => {
    expect(capabilityOf('google', 'POST', '/v1/chat/completions')).to.equal(undefined);
    expect(capabilityOf('OpenAI', 'POST', '/v1/chat/completions')).to.equal(undefined);
    expect(capabilityOf('__proto__', 'GET', '/v1/models')).to.equal(undefined);
    expect(capabilityOf('constructor', 'GET', '/v1/models')).to.equal(undefined);
  });

  it('does not give OpenAI routes to Anthropic or the reverse', () => {
    expect(capabilityOf('anthropic', 'POST', '/v1/chat/completions')).to.equal(undefined);
    expect(capabilityOf('openai', 'POST', '/v1/messages')).to.equal(undefined);
    expect(capabilityOf('openai', 'POST', '/v1/messages/count_tokens')).to.equal(undefined);
  });
});
