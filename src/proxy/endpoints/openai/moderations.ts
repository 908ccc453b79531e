import { defineEndpoint } from '../endpoint-spec.ts';

/** `POST /v1/moderations`: free; the API picks a model when the body names none. */
export const moderations = defineEndpoint({
  method: 'POST',
  path: '/v1/moderations',
  capability: 'moderations',
  body: 'json',
  model: 'body',
  modelOptional: true,
  cost: { bound: 'free' },
});
