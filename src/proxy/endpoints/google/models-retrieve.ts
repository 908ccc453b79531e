import { defineEndpoint } from '../endpoint-spec.ts';

/** `GET /v1beta/models/{model}`: free; the model is the path's. */
export const modelsRetrieve = defineEndpoint({
  method: 'GET',
  path: '/{version}/models/{model}',
  capability: 'models',
  body: 'none',
  model: 'path',
  cost: { bound: 'free' },
});
