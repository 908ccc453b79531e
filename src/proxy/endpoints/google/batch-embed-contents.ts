import { defineEndpoint } from '../endpoint-spec.ts';
import { boundEmbedContent } from './gemini-bounds.ts';
import { geminiUsage } from './usage-reader.ts';

/**
 * `POST /v1beta/models/{model}:batchEmbedContents` (what the SDK's `embedContent` sends):
 * as embedContent, for many texts; each request's `model` must be the path's.
 */
export const batchEmbedContents = defineEndpoint({
  method: 'POST',
  path: '/{version}/models/{model}:batchEmbedContents',
  capability: 'embeddings',
  body: 'json',
  model: 'path',
  cost: { bound: boundEmbedContent },
  usage: geminiUsage,
});
