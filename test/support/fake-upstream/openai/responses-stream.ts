/**
 * Streamed response, named SSE events with increasing `sequence_number`:
 * `response.created`, `response.in_progress`, `response.output_item.added`,
 * `response.content_part.added`, `response.output_text.delta`…, `response.output_text.done`,
 * `response.content_part.done`, `response.output_item.done`, then `response.completed`
 * (or `response.incomplete` when `max_output_tokens` cut the reply) with `usage`. Each
 * delta carries `chunkTokens` words; reasoning tokens count as generated with the first event.
 */
import type { RouteContext } from '../context.ts';
import { openaiError } from '../errors.ts';
import { createStreamEvents, plannedGeneration } from '../generation.ts';
import { type SseReply, sseReply } from '../outgoing.ts';
import { namedEvent } from '../sse.ts';
import { contentDeltas, replyText } from '../text.ts';
import { countWords, responsesOutputPlan, responsesUsage } from '../usage.ts';
import { messageItem, messageItemId, outputTextPart, responseObject } from './response-object.ts';

export function responsesStream(context: RouteContext): SseReply {
  const { body, settings, record } = context;
  const plan = responsesOutputPlan(body, settings);
  const text = replyText(plan.contentTokens);
  const final = plan.truncated ? 'incomplete' : 'completed';
  const item_id = messageItemId(record.seq);
  const at = { item_id, output_index: 0, content_index: 0 };
  const usage = responsesUsage(body, settings);
  const stream = createStreamEvents();
  const emit = (type: string, fields: Record<string, unknown>, tokens = 0) =>
    stream.push(namedEvent(type, { type, ...fields, sequence_number: stream.events.length }), tokens);

  emit(
    'response.created',
    { response: responseObject(context, 'in_progress', [], null) },
    plan.reasoningTokens,
  );
  emit('response.in_progress', { response: responseObject(context, 'in_progress', [], null) });
  emit('response.output_item.added', { output_index: 0, item: messageItem(record.seq, 'in_progress', []) });
  emit('response.content_part.added', { ...at, part: outputTextPart('') });
  for (const delta of contentDeltas(plan.contentTokens, settings.chunkTokens)) {
    emit('response.output_text.delta', { ...at, delta, logprobs: [] }, countWords(delta));
  }
  emit('response.output_text.done', { ...at, text, logprobs: [] });
  emit('response.content_part.done', { ...at, part: outputTextPart(text) });
  const item = messageItem(record.seq, final, [outputTextPart(text)]);
  emit('response.output_item.done', { output_index: 0, item });
  emit(`response.${final}`, {
    response: responseObject(context, final, [item], usage),
  });

  const errorEvent = (status: number, sent: number) => {
    const { error } = openaiError(status);
    const fields = { code: error.code ?? error.type, message: error.message, param: null };
    return namedEvent('error', { type: 'error', ...fields, sequence_number: sent });
  };
  return sseReply(stream.events, errorEvent, {
    generation: plannedGeneration(body, usage.input_tokens, usage.output_tokens),
    progress: stream.progress,
  });
}
