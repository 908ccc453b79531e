import { boundPerRequest } from '../../limits/request-bounds.ts';
import { defineEndpoint } from '../endpoint-spec.ts';

/** `POST /v1/audio/transcriptions`: a form with the audio file; priced per request. */
export const audioTranscriptions = defineEndpoint({
  method: 'POST',
  path: '/v1/audio/transcriptions',
  capability: 'audio',
  body: 'form',
  model: 'body',
  cost: { bound: boundPerRequest },
});
