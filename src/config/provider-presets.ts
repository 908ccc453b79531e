/**
 * OpenAI-compatible providers Mandate ships settings for: an operator switches one on by
 * id (`providers.presets`, MANDATE_PROVIDER_PRESETS) instead of declaring it in
 * `providers.compatible`. Base URLs are what each provider documents as the OpenAI SDK's
 * `baseURL`; endpoints are the OpenAI endpoints each documents (a conservative subset:
 * an endpoint a provider adds later is the operator's to declare in an own entry). No prices are shipped: they change often and per model, so
 * the operator sets `prices.<id>.<model>` for the models a spend cap should cover
 * (docs/configuration.md, "OpenAI-compatible providers"). Without a price a request is
 * still forwarded and metered in tokens; a grant with a spend cap refuses it.
 */
import type { CompatibleProviderEntry } from './compatible-provider-schema.ts';

export const PROVIDER_PRESETS: Readonly<Record<string, CompatibleProviderEntry>> = Object.freeze({
  mistral: {
    id: 'mistral',
    name: 'Mistral AI',
    baseUrl: 'https://api.mistral.ai/v1',
    keyHeader: 'authorization',
    keyPrefix: '',
    endpoints: ['chat/completions', 'embeddings', 'models'],
    // Mistral refuses fields it does not know (422 extra_forbidden), `stream_options`
    // among them, and reports usage on a stream's last chunk unasked.
    streamUsage: false,
    prices: {},
  },
  groq: {
    id: 'groq',
    name: 'Groq',
    baseUrl: 'https://api.groq.com/openai/v1',
    keyHeader: 'authorization',
    keyPrefix: 'gsk_',
    endpoints: [
      'chat/completions',
      'responses',
      'models',
      'audio/speech',
      'audio/transcriptions',
      'audio/translations',
    ],
    streamUsage: true,
    prices: {},
  },
  deepseek: {
    id: 'deepseek',
    name: 'DeepSeek',
    baseUrl: 'https://api.deepseek.com/v1',
    keyHeader: 'authorization',
    keyPrefix: 'sk-',
    endpoints: ['chat/completions', 'models'],
    streamUsage: true,
    prices: {},
  },
  xai: {
    id: 'xai',
    name: 'xAI',
    baseUrl: 'https://api.x.ai/v1',
    keyHeader: 'authorization',
    keyPrefix: 'xai-',
    endpoints: ['chat/completions', 'responses', 'images/generations', 'models'],
    streamUsage: true,
    prices: {},
  },
  openrouter: {
    id: 'openrouter',
    name: 'OpenRouter',
    baseUrl: 'https://openrouter.ai/api/v1',
    keyHeader: 'authorization',
    keyPrefix: 'sk-or-',
    endpoints: ['chat/completions', 'embeddings', 'models'],
    streamUsage: true,
    prices: {},
  },
});

export const PRESET_IDS: readonly string[] = Object.freeze(Object.keys(PROVIDER_PRESETS));
