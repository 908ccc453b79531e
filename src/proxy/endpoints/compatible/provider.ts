import type { CompatibleProvider } from '../../../config/index.ts';
import type { CompatibleEndpoint } from '../../../scopes/compatible-endpoints.ts';
import type { EndpointSpec, ProviderSpec } from '../endpoint-spec.ts';
import { audioSpeech } from '../openai/audio-speech.ts';
import { audioTranscriptions } from '../openai/audio-transcriptions.ts';
import { audioTranslations } from '../openai/audio-translations.ts';
import { embeddings } from '../openai/embeddings.ts';
import { imageEdits } from '../openai/image-edits.ts';
import { imageGenerations } from '../openai/image-generations.ts';
import { imageVariations } from '../openai/image-variations.ts';
import { modelsList } from '../openai/models-list.ts';
import { modelsRetrieve } from '../openai/models-retrieve.ts';
import { moderations } from '../openai/moderations.ts';
import { openai } from '../openai/provider.ts';
import { responses } from '../openai/responses.ts';
import { compatibleChatCompletions } from './chat-completions.ts';

/** The specs each endpoint name of `providers.compatible[].endpoints` stands for. */
function specsOf(name: CompatibleEndpoint, provider: CompatibleProvider): readonly EndpointSpec[] {
  switch (name) {
    case 'chat/completions':
      return [compatibleChatCompletions(provider.streamUsage)];
    case 'responses':
      return [responses];
    case 'embeddings':
      return [embeddings];
    case 'images/generations':
      return [imageGenerations];
    case 'images/edits':
      return [imageEdits];
    case 'images/variations':
      return [imageVariations];
    case 'audio/speech':
      return [audioSpeech];
    case 'audio/transcriptions':
      return [audioTranscriptions];
    case 'audio/translations':
      return [audioTranslations];
    case 'moderations':
      return [moderations];
    case 'models':
      return [modelsList, modelsRetrieve];
  }
}

/**
 * OpenAI's stored-state prefixes that are also an endpoint's path: stored state (`GET
 * /v1/chat/completions/{id}`) only where the provider serves that endpoint; elsewhere the
 * path is simply not served (404).
 */
const ENDPOINT_PREFIXES: Readonly<Record<string, CompatibleEndpoint>> = {
  '/v1/chat/completions': 'chat/completions',
  '/v1/responses': 'responses',
  '/v1/models': 'models',
};

/**
 * An OpenAI-compatible provider the operator configured: `/<id>/v1/…` → its base URL
 * (which ends with the version) + the rest of the path, with OpenAI's endpoint specs for
 * the endpoints it serves, OpenAI's body checks, refusals and error shape (the `openai`
 * SDK is its client), and the person's key in `keyHeader` (`Authorization: Bearer` by
 * default). Whatever the app sent as credentials stays behind, as for every provider.
 */
export function compatibleProviderSpec(provider: CompatibleProvider): ProviderSpec {
  const { keyHeader } = provider;
  return Object.freeze<ProviderSpec>({
    id: provider.id,
    prefix: `/${provider.id}`,
    versionInBaseUrl: true,
    baseUrl: () => provider.baseUrl,
    keyHeaders(out, _incoming, apiKey) {
      out[keyHeader] = keyHeader === 'authorization' ? `Bearer ${apiKey}` : apiKey;
    },
    errorBody: openai.errorBody,
    decidedFields: openai.decidedFields,
    refusals: openai.refusals,
    storedStatePaths: openai.storedStatePaths.filter((prefix) => {
      const endpoint = ENDPOINT_PREFIXES[prefix];
      return endpoint === undefined || provider.endpoints.includes(endpoint);
    }),
    endpoints: provider.endpoints.flatMap((name) => specsOf(name, provider)),
  });
}
