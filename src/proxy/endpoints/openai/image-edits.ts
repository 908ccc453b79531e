import { boundImageEdit } from '../../limits/request-bounds.ts';
import { OPENAI_IMAGE_RULES } from '../../request/check-decided-fields.ts';
import { defineEndpoint } from '../endpoint-spec.ts';

/** `POST /v1/images/edits`: a form or JSON (gpt-image models take image URLs) with input images; priced per request. */
export const imageEdits = defineEndpoint({
  method: 'POST',
  path: '/v1/images/edits',
  capability: 'images',
  body: 'json-or-form',
  model: 'body',
  modelOptional: true,
  decidedFields: [OPENAI_IMAGE_RULES],
  cost: { bound: boundImageEdit },
});
