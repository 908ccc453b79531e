import { expect } from 'chai';
import {
  ConfigError,
  compatibleProvidersOf,
  loadConfig,
  PRESET_IDS,
  PROVIDER_PRESETS,
  priceTableOf,
  providerRegistryOf,
} from '../../../src/config/index.ts';
import { parseScope } from '../../../src/scopes/index.ts';

const secrets = {
  MANDATE_COOKIE_KEYS: 'k'.repeat(43),
  MANDATE_PROXY_CLIENT_SECRET: 's'.repeat(43),
};
const noFiles = (path: string): string => {
  throw Object.assign(new Error(`no ${path}`), { code: 'ENOENT' });
};
const load = (file?: Record<string, unknown>, env: Record<string, string> = {}) =>
  loadConfig({ env: { ...secrets, ...env }, file, readFile: noFiles });

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

const acme = {
  id: 'acme',
  name: 'Acme AI',
  baseUrl: 'https://api.acme.example/v1/',
  endpoints: ['chat/completions', 'embeddings', 'models'],
};

describe('config: OpenAI-compatible providers', () => {
  it('has none by default', () => {
    const config = load();
    expect(config.providers).to.deep.equal({ presets: [], compatible: [] });
    expect(compatibleProvidersOf(config)).to.deep.equal([]);
    expect(providerRegistryOf(config).ids).to.deep.equal(['openai', 'anthropic', 'google']);
  });

  it('declares one with its defaults: Bearer key, usage asked for on streams, no prices', () => {
    const config = load({ providers: { compatible: [acme] } });
    expect(compatibleProvidersOf(config)).to.deep.equal([
      {
        id: 'acme',
        name: 'Acme AI',
        baseUrl: 'https://api.acme.example/v1',
        keyHeader: 'authorization',
        keyPrefix: '',
        endpoints: ['chat/completions', 'embeddings', 'models'],
        streamUsage: true,
      },
    ]);
    const registry = providerRegistryOf(config);
    expect(registry.info('acme')).to.deep.include({
      displayName: 'Acme AI',
      capabilities: ['chat', 'embeddings', 'models'],
    });
    expect(parseScope('acme:some/model:chat', registry).ok).to.equal(true);
    expect(parseScope('acme:*:images', registry)).to.deep.include({ ok: false });
    expect(priceTableOf(config).acme).to.deep.equal({});
  });

  it('switches presets on from the file or MANDATE_PROVIDER_PRESETS, base URL from proxy.upstreams.<id>', () => {
    const fromEnv = load({}, { MANDATE_PROVIDER_PRESETS: 'groq, mistral' });
    expect(compatibleProvidersOf(fromEnv).map((p) => [p.id, p.baseUrl])).to.deep.equal([
      ['groq', 'https://api.groq.com/openai/v1'],
      ['mistral', 'https://api.mistral.ai/v1'],
    ]);
    const moved = load({
      providers: { presets: ['groq'] },
      proxy: { upstreams: { groq: 'http://127.0.0.1:9/groq/openai/v1' } },
    });
    expect(compatibleProvidersOf(moved)[0]?.baseUrl).to.equal('http://127.0.0.1:9/groq/openai/v1');
    expect(providerRegistryOf(moved).info('groq')?.keyPrefix).to.equal('gsk_');
  });

  it('ships presets with https base URLs ending in the version and endpoints Mandate forwards', () => {
    expect(PRESET_IDS).to.deep.equal(['mistral', 'groq', 'deepseek', 'xai', 'openrouter']);
    for (const id of PRESET_IDS) {
      const config = load({ providers: { presets: [id] } });
      const [provider] = compatibleProvidersOf(config);
      expect(provider?.baseUrl, id).to.match(/^https:\/\/[^/]+(\/[a-z]+)*\/v1$/);
      expect(provider?.endpoints, id).to.include('chat/completions');
      expect(PROVIDER_PRESETS[id]?.prices, id).to.deep.equal({});
    }
    // Mistral refuses stream_options (422 extra_forbidden): it is never asked for usage.
    expect(PROVIDER_PRESETS.mistral?.streamUsage).to.equal(false);
  });

  it('prices a compatible provider from its entry, with prices.<id> over it', () => {
    const config = load({
      providers: {
        compatible: [{ ...acme, prices: { 'acme-1': { input: 1, output: 2 }, 'acme-2': { input: 3 } } }],
      },
      prices: { acme: { 'acme-2': { input: 5, output: 6 } } },
    });
    expect(priceTableOf(config).acme).to.deep.equal({
      'acme-1': { input: 1, output: 2 },
      'acme-2': { input: 5, output: 6 },
    });
    expect(priceTableOf(config).openai?.['gpt-4o']).to.deep.equal(config.prices.openai['gpt-4o']);
  });

  it('refuses a built-in id, a bad URL, an unknown endpoint, an unknown preset and a bad key header', () => {
    const message = errorOf(() =>
      load({
        providers: {
          presets: ['groq', 'nope'],
          compatible: [
            {
              id: 'openai',
              name: 'Mine',
              baseUrl: 'ftp://example.com/v1',
              endpoints: ['chat/completions', 'files'],
              keyHeader: 'Cookie',
            },
          ],
        },
      }),
    );
    expect(message).to.include('providers.presets.1: "nope" is not a preset (presets: mistral, groq');
    expect(message).to.include('providers.compatible.0.id: openai is a built-in provider; choose another id');
    expect(message).to.include('providers.compatible.0.baseUrl: must be an http or https URL');
    expect(message).to.include(
      'providers.compatible.0.endpoints.1: "files" is not an OpenAI endpoint Mandate forwards (one of chat/completions,',
    );
    expect(message).to.include(
      'providers.compatible.0.keyHeader: authorization, api-key or a lowercase x-… header',
    );
    expect(
      errorOf(() =>
        load({ providers: { compatible: [{ ...acme, baseUrl: 'https://u:p@x.example/v1?a=1' }] } }),
      ),
    ).to.include('providers.compatible.0.baseUrl: must have no query, fragment or credentials');
    expect(errorOf(() => load({ providers: { compatible: [{ ...acme, id: 'Acme:1' }] } }))).to.include(
      'providers.compatible.0.id: a provider id: lowercase letters',
    );
    expect(errorOf(() => load({ providers: { compatible: [{ ...acme, endpoints: [] }] } }))).to.include(
      'providers.compatible.0.endpoints: name at least one endpoint',
    );
  });

  it('refuses an id declared twice, and upstreams, prices and open-door scopes of unknown providers', () => {
    expect(
      errorOf(() => load({ providers: { presets: ['groq'], compatible: [{ ...acme, id: 'groq' }] } })),
    ).to.include('providers.compatible.0.id: provider groq is declared twice');
    const message = errorOf(() =>
      load({
        proxy: { upstreams: { acme: 'https://x.example/v1' } },
        prices: { acme: {} },
        as: { openDoor: { scopes: ['acme:*:chat'] } },
      }),
    );
    expect(message).to.include(
      'proxy.upstreams.acme: acme is not a provider (known: openai, anthropic, google)',
    );
    expect(message).to.include('prices.acme: acme is not a provider');
    expect(message).to.include(
      "as.openDoor.scopes.0: an AI scope such as openai:*:chat (unknown provider 'acme'",
    );
    // Declared, the same settings pass; a capability it does not offer does not.
    const ok = load({
      providers: { compatible: [acme] },
      proxy: { upstreams: { acme: 'https://x.example/v1' } },
      prices: { acme: {} },
      as: { openDoor: { scopes: ['acme:*:chat'] } },
    });
    expect(ok.as.openDoor.scopes).to.deep.equal(['acme:*:chat']);
    // An operator key, for a configured provider only.
    expect(
      load({ providers: { compatible: [acme] }, proxy: { operatorKeys: { acme: 'k-1' } } }).proxy
        .operatorKeys,
    ).to.deep.equal({ acme: 'k-1' });
    expect(errorOf(() => load({ proxy: { operatorKeys: { acme: 'k-1' } } }))).to.include(
      'proxy.operatorKeys.acme: acme is not a provider',
    );
    expect(
      errorOf(() =>
        load({ providers: { compatible: [acme] }, as: { openDoor: { scopes: ['acme:*:audio'] } } }),
      ),
    ).to.include("capability 'audio' is not offered for acme");
  });
});
