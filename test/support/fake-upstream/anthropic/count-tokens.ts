/** `POST /v1/messages/count_tokens`: `{ input_tokens }`, the same count `/v1/messages` reports. */
import type { RouteContext } from '../context.ts';
import { jsonReply, type Reply } from '../outgoing.ts';
import { anthropicInputTokens } from '../usage.ts';
import { missingField } from './validate.ts';

export function countTokens({ body, requestId }: RouteContext): Reply {
  const invalid = missingField(body, ['model', 'messages'], requestId);
  if (invalid) return invalid;
  return jsonReply(200, { input_tokens: anthropicInputTokens(body) });
}
