import { boundImageGenerations } from '../../limits/request-bounds.ts';
import { OPENAI_IMAGE_RULES } from '../../request/check-decided-fields.ts';
import { defineEndpoint } from '../endpoint-spec.ts';

/** `POST /v1/images/generations`: priced per image of the asked size, times `n`. */
export const imageGenerations = defineEndpoint({
  method: 'POST',
  path: '/v1/images/generations',
  capability: 'images',
  body: 'json',
  model: 'body',
  modelOptional: true,
  decidedFields: [OPENAI_IMAGE_RULES],
  cost: { bound: boundImageGenerations },
});
