import { defineEndpoint } from '../endpoint-spec.ts';

/** `GET /v1beta/models`: free; the listing is filtered to the models the token's `models` scopes name. */
export const modelsList = defineEndpoint({
  method: 'GET',
  path: '/{version}/models',
  capability: 'models',
  body: 'none',
  model: 'listing',
  cost: { bound: 'free' },
});
