/** What a route answers, before faults and pacing are applied by `write.ts`. */
import type { PlannedGeneration } from './generation.ts';

export type Headers = Record<string, string>;

export type BodyReply = {
  kind: 'body';
  status: number;
  headers: Headers;
  body: string | Uint8Array;
  /** Set on a text generation: what it generates (all at once, when the body is written). */
  generation?: PlannedGeneration;
};

export type SseReply = {
  kind: 'sse';
  headers: Headers;
  /** Encoded SSE events, written one by one. */
  events: string[];
  /** The provider's in-stream error event, for the `stream-error` fault. */
  errorEvent: (status: number, sent: number) => string;
  /** Set on a text generation: what the whole stream generates. */
  generation?: PlannedGeneration;
  /** With `generation`: output tokens generated once `events[i]` is sent (non-decreasing). */
  progress?: number[];
};

export type Reply = BodyReply | SseReply;

export const jsonReply = (status: number, value: unknown, headers: Headers = {}): BodyReply => ({
  kind: 'body',
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(value),
});

export const bytesReply = (contentType: string, body: string | Uint8Array): BodyReply => ({
  kind: 'body',
  status: 200,
  headers: { 'content-type': contentType },
  body,
});

export const sseReply = (
  events: string[],
  errorEvent: SseReply['errorEvent'],
  generated?: { generation: PlannedGeneration; progress: number[] },
): SseReply => ({
  kind: 'sse',
  headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' },
  events,
  errorEvent,
  ...generated,
});
