import { defineEndpoint } from '../endpoint-spec.ts';

/** `POST /v1beta/models/{model}:countTokens`: free, generates nothing (granted by `chat`, as Anthropic's). */
export const countTokens = defineEndpoint({
  method: 'POST',
  path: '/{version}/models/{model}:countTokens',
  capability: 'chat',
  body: 'json',
  model: 'path',
  cost: { bound: 'free' },
});
