/**
 * Streamed message, named SSE events: `message_start` (usage with the input counters and
 * `output_tokens: 1`), `content_block_start`, `ping`, `content_block_delta` (text_delta)…,
 * `content_block_stop`, `message_delta` (stop_reason and cumulative `output_tokens`),
 * `message_stop`. Each delta carries `chunkTokens` words.
 */
import type { RouteContext } from '../context.ts';
import { anthropicError } from '../errors.ts';
import { createStreamEvents, plannedGeneration } from '../generation.ts';
import { type SseReply, sseReply } from '../outgoing.ts';
import { namedEvent } from '../sse.ts';
import { contentDeltas, fakeId } from '../text.ts';
import { anthropicOutputPlan, anthropicUsage, countWords } from '../usage.ts';

export const stopReason = (truncated: boolean): string => (truncated ? 'max_tokens' : 'end_turn');

export function messagesStream({ body, settings, record }: RouteContext): SseReply {
  const plan = anthropicOutputPlan(body, settings);
  const usage = anthropicUsage(body, settings);
  const stream = createStreamEvents();
  const emit = (type: string, fields: Record<string, unknown> = {}, tokens = 0) =>
    stream.push(namedEvent(type, { type, ...fields }), tokens);

  emit('message_start', {
    message: {
      id: fakeId('msg_', record.seq),
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 },
    },
  });
  emit('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  emit('ping');
  for (const text of contentDeltas(plan.contentTokens, settings.chunkTokens)) {
    emit('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }, countWords(text));
  }
  emit('content_block_stop', { index: 0 });
  emit('message_delta', {
    delta: { stop_reason: stopReason(plan.truncated), stop_sequence: null },
    usage: { output_tokens: usage.output_tokens },
  });
  emit('message_stop');
  return sseReply(stream.events, (status) => namedEvent('error', anthropicError(status)), {
    generation: plannedGeneration(body, usage.input_tokens, usage.output_tokens),
    progress: stream.progress,
  });
}
