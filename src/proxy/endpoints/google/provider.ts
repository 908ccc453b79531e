import type { ProviderSpec } from '../endpoint-spec.ts';
import { batchEmbedContents } from './batch-embed-contents.ts';
import { checkGeminiQuery } from './check-query.ts';
import { countTokens } from './count-tokens.ts';
import { embedContent } from './embed-content.ts';
import { filterGeminiListing } from './filter-listing.ts';
import { GEMINI_RULES } from './gemini-fields.ts';
import { refuseGeminiFields, refuseOtherModel } from './gemini-refusals.ts';
import { generateContent } from './generate-content.ts';
import { modelsList } from './models-list.ts';
import { modelsRetrieve } from './models-retrieve.ts';
import { streamGenerateContent } from './stream-generate-content.ts';

/** google.rpc.Code names by HTTP status, as Google's errors carry them. */
const STATUSES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const API_VERSIONS = ['v1beta', 'v1'];

/** Paths under each version that reach data stored on the person's account. */
const STORED_STATE = [
  'files',
  'cachedContents',
  'tunedModels',
  'batches',
  'corpora',
  'fileSearchStores',
  'operations',
  'generatedFiles',
  'ragStores',
];

/**
 * Google Gemini (the Gemini Developer API): `/google/v1beta/…` (or `/google/v1/…`, what
 * `@google/genai` sends by default) → `proxy.upstreams.google` + the same path. The
 * access token arrives where the SDK puts its API key (`x-goog-api-key`); the person's
 * key goes upstream in that header, never in the query. Errors as
 * `{error:{code,message,status}}`.
 */
export const google: ProviderSpec = Object.freeze<ProviderSpec>({
  id: 'google',
  prefix: '/google',
  apiVersions: API_VERSIONS,
  tokenHeader: 'x-goog-api-key',
  corsHeaders: ['x-goog-api-client'],
  badKeyReasonIn400: 'API_KEY_INVALID',
  baseUrl: (settings) => settings.baseUrls.google,
  keyHeaders(out, _incoming, apiKey) {
    out['x-goog-api-key'] = apiKey;
  },
  errorBody: (status, code, message) => ({
    error: {
      code: status,
      message,
      status: STATUSES[status] ?? 'UNKNOWN',
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: code, domain: 'mandate' }],
    },
  }),
  decidedFields: [GEMINI_RULES],
  refusals: [refuseGeminiFields, refuseOtherModel],
  storedStatePaths: API_VERSIONS.flatMap((version) => STORED_STATE.map((path) => `/${version}/${path}`)),
  checkQuery: checkGeminiQuery,
  filterListing: filterGeminiListing,
  // The specs whose model segment is followed by a method come before models/{model}.
  endpoints: [
    generateContent,
    streamGenerateContent,
    countTokens,
    embedContent,
    batchEmbedContents,
    modelsList,
    modelsRetrieve,
  ],
});
