import { boundPerRequest } from '../../limits/request-bounds.ts';
import { defineEndpoint } from '../endpoint-spec.ts';

/** `POST /v1/audio/translations`: a form with the audio file; priced per request. */
export const audioTranslations = defineEndpoint({
  method: 'POST',
  path: '/v1/audio/translations',
  capability: 'audio',
  body: 'form',
  model: 'body',
  cost: { bound: boundPerRequest },
});
