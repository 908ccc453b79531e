/** The Responses API `response` object and its single assistant message item. */
import type { RouteContext } from '../context.ts';
import { fakeId } from '../text.ts';
import type { ResponsesUsage } from '../usage.ts';

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete';

export const messageItemId = (seq: number): string => fakeId('msg_', seq);

export const outputTextPart = (text: string) => ({
  type: 'output_text',
  annotations: [],
  logprobs: [],
  text,
});

export const messageItem = (seq: number, status: ResponseStatus, content: unknown[]) => ({
  id: messageItemId(seq),
  type: 'message',
  status,
  content,
  role: 'assistant',
});

export function responseObject(
  { body, record, created }: RouteContext,
  status: ResponseStatus,
  output: unknown[],
  usage: ResponsesUsage | null,
) {
  return {
    id: fakeId('resp_', record.seq),
    object: 'response',
    created_at: created,
    status,
    background: false,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: body.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: body.store ?? true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage,
    user: null,
    metadata: body.metadata ?? {},
  };
}
