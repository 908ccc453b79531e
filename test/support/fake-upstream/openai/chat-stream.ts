/**
 * Streamed chat completion: per choice a role delta, then the content deltas (choices
 * interleaved), a `finish_reason` chunk per choice, then, only with
 * `stream_options.include_usage`, a `choices: []` chunk carrying `usage` (every other chunk
 * then has `usage: null`), then `data: [DONE]`. With `usageUnasked` (Mistral) and no
 * `include_usage`, the last `finish_reason` chunk carries `usage` instead.
 * Each content delta carries `chunkTokens` words; reasoning tokens count as generated with
 * the first event.
 */
import type { RouteContext } from '../context.ts';
import { isObject } from '../context.ts';
import { openaiError } from '../errors.ts';
import { createStreamEvents, plannedGeneration } from '../generation.ts';
import { type SseReply, sseReply } from '../outgoing.ts';
import { DONE_EVENT, dataEvent } from '../sse.ts';
import { contentDeltas, fakeId } from '../text.ts';
import { chatOutputPlan, chatPromptTokens, chatUsage, choiceCount, countWords } from '../usage.ts';

export function chatCompletionStream({ body, settings, record, created }: RouteContext): SseReply {
  const includeUsage = isObject(body.stream_options) && body.stream_options.include_usage === true;
  // Mistral: the last finish_reason chunk carries usage, asked for or not.
  const usageOnLast = settings.usageUnasked && !includeUsage;
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

  const usage = chatUsage(body, settings);
  const stream = createStreamEvents();
  for (const i of indexes) {
    const reasoning = i === 0 ? usage.completion_tokens_details.reasoning_tokens : 0;
    stream.push(chunk([choice(i, { role: 'assistant', content: '', refusal: null })]), reasoning);
  }
  for (const text of contentDeltas(plan.contentTokens, settings.chunkTokens)) {
    for (const i of indexes) stream.push(chunk([choice(i, { content: text })]), countWords(text));
  }
  for (const i of indexes) {
    const last = chunk([choice(i, {}, plan.truncated ? 'length' : 'stop')]);
    stream.push(
      usageOnLast && i === indexes.at(-1)
        ? dataEvent({ ...base, choices: [choice(i, {}, plan.truncated ? 'length' : 'stop')], usage })
        : last,
    );
  }
  if (includeUsage) stream.push(dataEvent({ ...base, choices: [], usage }));
  stream.push(DONE_EVENT);
  return sseReply(stream.events, (status) => dataEvent(openaiError(status)), {
    generation: plannedGeneration(body, chatPromptTokens(body), usage.completion_tokens),
    progress: stream.progress,
  });
}
