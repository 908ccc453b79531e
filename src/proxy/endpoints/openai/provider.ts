import { COMMON_RULES, OPENAI_RULES } from '../../request/check-decided-fields.ts';
import { refuseStoredReferences } from '../../request/stored-state-policy.ts';
import type { ProviderSpec } from '../endpoint-spec.ts';
import { audioSpeech } from './audio-speech.ts';
import { audioTranscriptions } from './audio-transcriptions.ts';
import { audioTranslations } from './audio-translations.ts';
import { chatCompletions } from './chat-completions.ts';
import { embeddings } from './embeddings.ts';
import { imageEdits } from './image-edits.ts';
import { imageGenerations } from './image-generations.ts';
import { imageVariations } from './image-variations.ts';
import { modelsList } from './models-list.ts';
import { modelsRetrieve } from './models-retrieve.ts';
import { moderations } from './moderations.ts';
import { responses } from './responses.ts';

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  413: 'invalid_request_error',
  429: 'requests',
};

/**
 * OpenAI: `/openai/v1/…` → `proxy.upstreams.openai` + `/v1/…`, the key as
 * `Authorization: Bearer`, the organization and project the operator's only, errors as
 * `{error:{message,type,param,code}}`.
 */
export const openai: ProviderSpec = Object.freeze<ProviderSpec>({
  id: 'openai',
  prefix: '/openai',
  baseUrl: (settings) => settings.baseUrls.openai,
  keyHeaders(out, _incoming, apiKey, settings) {
    out.authorization = `Bearer ${apiKey}`;
    if (settings.openai.organization) out['openai-organization'] = settings.openai.organization;
    if (settings.openai.project) out['openai-project'] = settings.openai.project;
  },
  errorBody: (status, code, message) => ({
    error: { message, type: TYPES[status] ?? 'server_error', param: null, code },
  }),
  decidedFields: [COMMON_RULES, OPENAI_RULES],
  refusals: [refuseStoredReferences],
  storedStatePaths: [
    '/v1/files',
    '/v1/uploads',
    '/v1/fine_tuning',
    '/v1/batches',
    '/v1/vector_stores',
    '/v1/assistants',
    '/v1/threads',
    '/v1/conversations',
    '/v1/containers',
    '/v1/evals',
    '/v1/responses',
    '/v1/chat/completions',
    '/v1/models',
  ],
  endpoints: [
    chatCompletions,
    responses,
    embeddings,
    imageGenerations,
    imageEdits,
    imageVariations,
    audioSpeech,
    audioTranscriptions,
    audioTranslations,
    moderations,
    modelsList,
    modelsRetrieve,
  ],
});
