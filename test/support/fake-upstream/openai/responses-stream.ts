/**
 * Streamed response, named SSE events with increasing `sequence_number`:
 * `response.created`, `response.in_progress`, `response.output_item.added`,
 * `response.content_part.added`, `response.output_text.delta`…, `response.output_text.done`,
 * `response.content_part.done`, `response.output_item.done`, then `response.completed`
 * (or `response.incomplete` when `max_output_tokens` cut the reply) with `usage`.
 */
import type { RouteContext } from '../context.ts';
import { openaiError } from '../errors.ts';
import { type SseReply, sseReply } from '../outgoing.ts';
import { namedEvent } from '../sse.ts';
import { replyChunks, replyText } from '../text.ts';
import { responsesOutputPlan, responsesUsage } from '../usage.ts';
import { messageItem, messageItemId, outputTextPart, responseObject } from './response-object.ts';

export function responsesStream(context: RouteContext): SseReply {
  const { body, settings, record } = context;
  const plan = responsesOutputPlan(body, settings);
  const text = replyText(plan.contentChunks);
  const final = plan.truncated ? 'incomplete' : 'completed';
  const item_id = messageItemId(record.seq);
  const at = { item_id, output_index: 0, content_index: 0 };
  const events: string[] = [];
  const emit = (type: string, fields: Record<string, unknown>) =>
    events.push(namedEvent(type, { type, ...fields, sequence_number: events.length }));

  emit('response.created', { response: responseObject(context, 'in_progress', [], null) });
  emit('response.in_progress', { response: responseObject(context, 'in_progress', [], null) });
  emit('response.output_item.added', { output_index: 0, item: messageItem(record.seq, 'in_progress', []) });
  emit('response.content_part.added', { ...at, part: outputTextPart('') });
  for (const delta of replyChunks(plan.contentChunks)) {
    emit('response.output_text.delta', { ...at, delta, logprobs: [] });
  }
  emit('response.output_text.done', { ...at, text, logprobs: [] });
  emit('response.content_part.done', { ...at, part: outputTextPart(text) });
  const item = messageItem(record.seq, final, [outputTextPart(text)]);
  emit('response.output_item.done', { output_index: 0, item });
  emit(`response.${final}`, {
    response: responseObject(context, final, [item], responsesUsage(body, settings)),
  });

  return sseReply(events, (status, sent) => {
    const { error } = openaiError(status);
    const fields = { code: error.code ?? error.type, message: error.message, param: null };
    return namedEvent('error', { type: 'error', ...fields, sequence_number: sent });
  });
}
