import { defineEndpoint } from '../endpoint-spec.ts';
import { boundEmbedContent } from './gemini-bounds.ts';
import { geminiUsage } from './usage-reader.ts';

/** `POST /v1beta/models/{model}:embedContent`: input only, bounded by the body's bytes (text parts only). */
export const embedContent = defineEndpoint({
  method: 'POST',
  path: '/{version}/models/{model}:embedContent',
  capability: 'embeddings',
  body: 'json',
  model: 'path',
  cost: { bound: boundEmbedContent },
  usage: geminiUsage,
});
