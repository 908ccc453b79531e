/** `POST /v1/chat/completions`, plain JSON; `stream: true` goes to chat-stream.ts. */
import type { RouteContext } from '../context.ts';
import { plannedGeneration, withGeneration } from '../generation.ts';
import type { Reply } from '../outgoing.ts';
import { jsonReply } from '../outgoing.ts';
import { fakeId, replyText } from '../text.ts';
import { chatOutputPlan, chatUsage, choiceCount } from '../usage.ts';
import { chatCompletionStream } from './chat-stream.ts';
import { missingField } from './validate.ts';

export function chatCompletion(context: RouteContext): Reply {
  const { body, settings, record, created } = context;
  const invalid = missingField(body, ['model', 'messages']);
  if (invalid) return invalid;
  if (body.stream === true) return chatCompletionStream(context);
  const plan = chatOutputPlan(body, settings);
  const content = replyText(plan.contentTokens);
  const usage = chatUsage(body, settings);
  const reply = jsonReply(200, {
    id: fakeId('chatcmpl-', record.seq),
    object: 'chat.completion',
    created,
    model: body.model,
    choices: Array.from({ length: choiceCount(body) }, (_, index) => ({
      index,
      message: { role: 'assistant', content, refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: plan.truncated ? 'length' : 'stop',
    })),
    usage,
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  });
  return withGeneration(reply, plannedGeneration(body, usage.prompt_tokens, usage.completion_tokens));
}
