import { refuseBackground, refuseStoreOn } from '../../request/stored-state-policy.ts';
import { defineEndpoint, type EndpointSpec } from '../endpoint-spec.ts';
import { chatCompletions } from '../openai/chat-completions.ts';
import { requestStreamUsage } from '../openai/usage-readers.ts';

/**
 * `POST /v1/chat/completions` of an OpenAI-compatible provider: OpenAI's spec, except
 * that nothing the provider may not know is added. `store` is not forced off (`store:
 * true` is refused instead), an injected output bound goes in `max_tokens` (which every
 * compatible API takes; `max_completion_tokens` is lowered with it), and a stream is
 * asked for its usage chunk only when the provider takes `stream_options` (`streamUsage`).
 */
export function compatibleChatCompletions(streamUsage: boolean): EndpointSpec {
  return defineEndpoint({
    ...chatCompletions,
    refusals: [refuseBackground, refuseStoreOn],
    rewrites: [],
    cost: { bound: chatCompletions.cost.bound, outputField: 'max_tokens' },
    streamUsage: streamUsage ? requestStreamUsage : undefined,
  });
}
