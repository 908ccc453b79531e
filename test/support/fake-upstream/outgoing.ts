/** What a route answers, before faults and pacing are applied by `write.ts`. */
export type Headers = Record<string, string>;

export type BodyReply = { kind: 'body'; status: number; headers: Headers; body: string | Uint8Array };

export type SseReply = {
  kind: 'sse';
  headers: Headers;
  /** Encoded SSE events, written one by one. */
  events: string[];
  /** The provider's in-stream error event, for the `stream-error` fault. */
  errorEvent: (status: number, sent: number) => string;
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

export const sseReply = (events: string[], errorEvent: SseReply['errorEvent']): SseReply => ({
  kind: 'sse',
  headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' },
  events,
  errorEvent,
});
