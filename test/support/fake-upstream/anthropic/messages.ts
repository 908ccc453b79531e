/** `POST /v1/messages`, plain JSON; `stream: true` goes to messages-stream.ts. */
import type { RouteContext } from '../context.ts';
import { plannedGeneration, withGeneration } from '../generation.ts';
import { jsonReply, type Reply } from '../outgoing.ts';
import { fakeId, replyText } from '../text.ts';
import { anthropicOutputPlan, anthropicUsage } from '../usage.ts';
import { messagesStream, stopReason } from './messages-stream.ts';
import { missingField } from './validate.ts';

export function createMessage(context: RouteContext): Reply {
  const { body, settings, record, requestId } = context;
  const invalid = missingField(body, ['model', 'max_tokens', 'messages'], requestId);
  if (invalid) return invalid;
  if (body.stream === true) return messagesStream(context);
  const plan = anthropicOutputPlan(body, settings);
  const usage = anthropicUsage(body, settings);
  const reply = jsonReply(200, {
    id: fakeId('msg_', record.seq),
    type: 'message',
    role: 'assistant',
    content: [{ type: 'text', text: replyText(plan.contentTokens) }],
    model: body.model,
    stop_reason: stopReason(plan.truncated),
    stop_sequence: null,
    usage,
  });
  return withGeneration(reply, plannedGeneration(body, usage.input_tokens, usage.output_tokens));
}
