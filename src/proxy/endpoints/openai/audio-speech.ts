import { boundPerRequest } from '../../limits/request-bounds.ts';
import { defineEndpoint } from '../endpoint-spec.ts';

/** `POST /v1/audio/speech`: priced per request. */
export const audioSpeech = defineEndpoint({
  method: 'POST',
  path: '/v1/audio/speech',
  capability: 'audio',
  body: 'json',
  model: 'body',
  cost: { bound: boundPerRequest },
});
