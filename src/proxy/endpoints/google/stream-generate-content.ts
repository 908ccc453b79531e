import { defineEndpoint } from '../endpoint-spec.ts';
import { boundGenerateContent } from './gemini-bounds.ts';
import { refuseManyStreamedCandidates } from './gemini-refusals.ts';
import { geminiUsage } from './usage-reader.ts';

/**
 * `POST /v1beta/models/{model}:streamGenerateContent?alt=sse`: as generateContent, as
 * server-sent events. Every chunk carries the usage so far; the one with a
 * `finishReason` is final. One candidate only (which chunk is the last is then certain).
 */
export const streamGenerateContent = defineEndpoint({
  method: 'POST',
  path: '/{version}/models/{model}:streamGenerateContent',
  capability: 'chat',
  body: 'json',
  model: 'path',
  refusals: [refuseManyStreamedCandidates],
  cost: { bound: boundGenerateContent, outputField: 'generationConfig.maxOutputTokens' },
  usage: geminiUsage,
});
