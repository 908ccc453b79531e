import { boundMessages } from '../../limits/request-bounds.ts';
import { defineEndpoint } from '../endpoint-spec.ts';
import { messagesUsage } from './usage-reader.ts';

/** `POST /v1/messages`: bounded by `max_tokens`; usage from `message_start` and `message_delta`. */
export const messages = defineEndpoint({
  method: 'POST',
  path: '/v1/messages',
  capability: 'chat',
  body: 'json',
  model: 'body',
  cost: { bound: boundMessages, outputField: 'max_tokens' },
  usage: messagesUsage,
});
