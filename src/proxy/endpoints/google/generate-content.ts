import { defineEndpoint } from '../endpoint-spec.ts';
import { boundGenerateContent } from './gemini-bounds.ts';
import { geminiUsage } from './usage-reader.ts';

/**
 * `POST /v1beta/models/{model}:generateContent`: bounded by
 * `generationConfig.maxOutputTokens` (thoughts included) times `candidateCount`; usage
 * from `usageMetadata`.
 */
export const generateContent = defineEndpoint({
  method: 'POST',
  path: '/{version}/models/{model}:generateContent',
  capability: 'chat',
  body: 'json',
  model: 'path',
  cost: { bound: boundGenerateContent, outputField: 'generationConfig.maxOutputTokens' },
  usage: geminiUsage,
});
