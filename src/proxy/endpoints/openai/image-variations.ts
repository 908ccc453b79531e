import { boundImageEdit } from '../../limits/request-bounds.ts';
import { OPENAI_IMAGE_RULES } from '../../request/check-decided-fields.ts';
import { defineEndpoint } from '../endpoint-spec.ts';

/** `POST /v1/images/variations`: a form with an input image; priced per request. */
export const imageVariations = defineEndpoint({
  method: 'POST',
  path: '/v1/images/variations',
  capability: 'images',
  body: 'form',
  model: 'body',
  modelOptional: true,
  decidedFields: [OPENAI_IMAGE_RULES],
  cost: { bound: boundImageEdit },
});
