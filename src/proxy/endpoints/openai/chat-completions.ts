import { boundChatCompletions } from '../../limits/request-bounds.ts';
import { forceStoreOff, refuseBackground } from '../../request/stored-state-policy.ts';
import { defineEndpoint } from '../endpoint-spec.ts';
import { chatUsage, requestStreamUsage } from './usage-readers.ts';

/**
 * `POST /v1/chat/completions`: `store` forced off and `background` refused (stored
 * upstream); bounded by its output bound times `n`; a stream is asked for its usage chunk.
 */
export const chatCompletions = defineEndpoint({
  method: 'POST',
  path: '/v1/chat/completions',
  capability: 'chat',
  body: 'json',
  model: 'body',
  refusals: [refuseBackground],
  cost: { bound: boundChatCompletions, outputField: 'max_completion_tokens' },
  rewrites: [forceStoreOff],
  streamUsage: requestStreamUsage,
  usage: chatUsage,
});
