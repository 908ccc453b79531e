import { expect } from 'chai';
import { compatibleProvidersOf, loadConfig, providerRegistryOf } from '../../../../src/config/index.ts';
import { compatibleProviderSpec } from '../../../../src/proxy/endpoints/compatible/provider.ts';
import { createEndpointTable } from '../../../../src/proxy/endpoints/index.ts';
import { chatUsage, requestStreamUsage } from '../../../../src/proxy/endpoints/openai/usage-readers.ts';
import { ProxyError } from '../../../../src/proxy/errors/proxy-error.ts';
import { createUpstreams } from '../../../../src/proxy/forward/upstreams.ts';
import { setOutputBound } from '../../../../src/proxy/limits/request-bounds.ts';
import { createProviderRegistry, useProviderRegistry } from '../../../../src/scopes/index.ts';

const config = loadConfig({
  env: { MANDATE_COOKIE_KEYS: 'k'.repeat(43), MANDATE_PROXY_CLIENT_SECRET: 's'.repeat(43) },
  file: {
    providers: {
      presets: ['groq', 'mistral'],
      compatible: [
        {
          id: 'acme',
          name: 'Acme AI',
          baseUrl: 'https://api.acme.example/v2/',
          keyHeader: 'x-api-key',
          endpoints: ['embeddings', 'models'],
        },
      ],
    },
  },
  readFile: () => '',
});
const table = createEndpointTable(compatibleProvidersOf(config).map(compatibleProviderSpec));

const codeOf = (method: string, path: string): string => {
  try {
    table.matchEndpoint(method, path);
  } catch (err) {
    expect(err).to.be.instanceOf(ProxyError);
    return (err as ProxyError).code;
  }
  return 'matched';
};

describe('the endpoint table with OpenAI-compatible providers', () => {
  before(() => useProviderRegistry(providerRegistryOf(config)));
  after(() => useProviderRegistry(createProviderRegistry()));

  it('resolves /<id>/v1/… to the endpoints each serves, with OpenAI’s specs', () => {
    const chat = table.matchEndpoint('POST', '/groq/v1/chat/completions');
    expect(chat.provider.id).to.equal('groq');
    expect(chat.spec).to.include({ capability: 'chat', usage: chatUsage, streamUsage: requestStreamUsage });
    expect(chat.spec.cost.outputField).to.equal('max_tokens');
    expect(chat.spec.rewrites).to.deep.equal([]);
    expect(table.matchEndpoint('POST', '/mistral/v1/chat/completions').spec.streamUsage).to.equal(undefined);
    expect(table.matchEndpoint('GET', '/groq/v1/models/llama-3.3-70b-versatile').modelFromPath).to.equal(
      'llama-3.3-70b-versatile',
    );
    expect(table.matchEndpoint('POST', '/acme/v1/embeddings').spec.capability).to.equal('embeddings');
    // Built-ins unchanged.
    expect(table.matchEndpoint('POST', '/openai/v1/chat/completions').spec.cost.outputField).to.equal(
      'max_completion_tokens',
    );
  });

  it('refuses what a provider does not serve (404) and stored state (403)', () => {
    expect(codeOf('POST', '/groq/v1/embeddings')).to.equal('unknown_endpoint');
    expect(codeOf('POST', '/acme/v1/chat/completions')).to.equal('unknown_endpoint');
    expect(codeOf('GET', '/groq/v1/files')).to.equal('endpoint_denied');
    expect(codeOf('GET', '/groq/v1/chat/completions/chatcmpl-1')).to.equal('endpoint_denied');
    expect(codeOf('POST', '/nope/v1/chat/completions')).to.equal('unknown_endpoint');
  });

  it('sends the path after the version to the base URL, the key in the configured header', () => {
    const upstreams = createUpstreams(
      { baseUrls: config.proxy.upstreams, openai: {}, anthropicBetaAllowlist: [] },
      table.providers,
    );
    expect(String(upstreams.target('groq', '/v1/chat/completions', '?a=1'))).to.equal(
      'https://api.groq.com/openai/v1/chat/completions?a=1',
    );
    expect(String(upstreams.target('acme', '/v1/embeddings', ''))).to.equal(
      'https://api.acme.example/v2/embeddings',
    );
    const incoming = { authorization: 'Bearer the-token', 'x-api-key': 'the-token', 'user-agent': 'sdk' };
    expect(upstreams.headers('groq', incoming, 'gsk_key', 0)).to.deep.equal({
      'user-agent': 'sdk',
      'accept-encoding': 'identity',
      authorization: 'Bearer gsk_key',
    });
    expect(upstreams.headers('acme', incoming, 'acme-key', 0)).to.deep.equal({
      'user-agent': 'sdk',
      'accept-encoding': 'identity',
      'x-api-key': 'acme-key',
    });
  });

  it('an output bound set in max_tokens lowers a max_completion_tokens beside it', () => {
    const json: Record<string, unknown> = { max_completion_tokens: 5000 };
    setOutputBound(json, 'max_tokens', 300);
    expect(json).to.deep.equal({ max_tokens: 300, max_completion_tokens: 300 });
  });
});
