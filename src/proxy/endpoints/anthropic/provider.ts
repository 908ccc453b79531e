import { ANTHROPIC_RULES, COMMON_RULES } from '../../request/check-decided-fields.ts';
import { refuseStoredReferences } from '../../request/stored-state-policy.ts';
import type { ProviderSpec } from '../endpoint-spec.ts';
import { countTokens } from './count-tokens.ts';
import { messages } from './messages.ts';
import { modelsList } from './models-list.ts';
import { modelsRetrieve } from './models-retrieve.ts';

const ANTHROPIC_VERSION = '2023-06-01';

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  504: 'timeout_error',
};

/**
 * Anthropic: `/anthropic/v1/…` → `proxy.upstreams.anthropic` + `/v1/…`, the key as
 * `x-api-key`, `anthropic-version` when the app sent none, `anthropic-beta` filtered by
 * the operator's allowlist, errors as `{type:"error",error:{type,message}}`.
 */
export const anthropic: ProviderSpec = Object.freeze<ProviderSpec>({
  id: 'anthropic',
  prefix: '/anthropic',
  baseUrl: (settings) => settings.baseUrls.anthropic,
  passedHeaders: ['anthropic-version', 'anthropic-dangerous-direct-browser-access'],
  corsHeaders: ['anthropic-beta'],
  keyHeaders(out, incoming, apiKey, settings) {
    out['x-api-key'] = apiKey;
    out['anthropic-version'] ??= ANTHROPIC_VERSION;
    const beta = incoming['anthropic-beta'];
    if (typeof beta === 'string') {
      const allowed = beta
        .split(',')
        .map((v) => v.trim())
        .filter((v) => settings.anthropicBetaAllowlist.includes(v));
      if (allowed.length > 0) out['anthropic-beta'] = allowed.join(',');
    }
  },
  errorBody: (status, _code, message) => ({
    type: 'error',
    error: { type: TYPES[status] ?? 'api_error', message },
  }),
  decidedFields: [COMMON_RULES, ANTHROPIC_RULES],
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
    '/v1/messages/batches',
    '/v1/responses',
    '/v1/chat/completions',
    '/v1/models',
  ],
  endpoints: [messages, countTokens, modelsList, modelsRetrieve],
});
