import { defineEndpoint } from '../endpoint-spec.ts';

/** `POST /v1/messages/count_tokens`: free, generates nothing. */
export const countTokens = defineEndpoint({
  method: 'POST',
  path: '/v1/messages/count_tokens',
  capability: 'chat',
  body: 'json',
  model: 'body',
  cost: { bound: 'free' },
});
