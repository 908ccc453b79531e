import { boundResponses } from '../../limits/request-bounds.ts';
import { forceStoreOff, refuseBackground, refuseItemReferences } from '../../request/stored-state-policy.ts';
import { defineEndpoint } from '../endpoint-spec.ts';
import { responsesUsage } from './usage-readers.ts';

/**
 * `POST /v1/responses`: `store` forced off (the API stores by default), `background`
 * refused, and input items that reference stored items refused (beside the provider's
 * `previous_response_id`, `conversation`, … refusals).
 */
export const responses = defineEndpoint({
  method: 'POST',
  path: '/v1/responses',
  capability: 'chat',
  body: 'json',
  model: 'body',
  refusals: [refuseBackground, refuseItemReferences],
  cost: { bound: boundResponses, outputField: 'max_output_tokens' },
  rewrites: [forceStoreOff],
  usage: responsesUsage,
});
