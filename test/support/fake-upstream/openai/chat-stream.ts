/**
 * Streamed chat completion: per choice a role delta, then the content deltas (choices
 * interleaved), a `finish_reason` chunk per choice, then, only with
 * `stream_options.include_usage`, a `choices: []` chunk carrying `usage` (every other chunk
 * then has `usage: null`), then `data: [DONE]`.
 */
import type { RouteContext } from '../context.ts';
import { isObject } from '../context.ts';
import { openaiError } from '../errors.ts';
import { type SseReply, sseReply } from '../outgoing.ts';
import { DONE_EVENT, dataEvent } from '../sse.ts';
import { fakeId, replyChunks } from '../text.ts';
import { chatOutputPlan, chatUsage, choiceCount } from '../usage.ts';

export function chatCompletionStream({ body, settings, record, created }: RouteContext): SseReply {
  const includeUsage = isObject(body.stream_options) && body.stream_options.include_usage === true;
  const plan = chatOutputPlan(body, settings);
  const indexes = Array.from({ length: choiceCount(body) }, (_, index) => index);
  const base = {
    id: fakeId('chatcmpl-', record.seq),
    object: 'chat.completion.chunk',
    created,
    model: body.model,
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
  const chunk = (choices: unknown[]) =>
    dataEvent({ ...base, choices, ...(includeUsage ? { usage: null } : {}) });
  const choice = (index: number, delta: unknown, finishReason: string | null = null) => ({
    index,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });

  const events = indexes.map((i) => chunk([choice(i, { role: 'assistant', content: '', refusal: null })]));
  for (const text of replyChunks(plan.contentChunks)) {
    for (const i of indexes) events.push(chunk([choice(i, { content: text })]));
  }
  for (const i of indexes) events.push(chunk([choice(i, {}, plan.truncated ? 'length' : 'stop')]));
  if (includeUsage) events.push(dataEvent({ ...base, choices: [], usage: chatUsage(body, settings) }));
  events.push(DONE_EVENT);
  return sseReply(events, (status) => dataEvent(openaiError(status)));
}
