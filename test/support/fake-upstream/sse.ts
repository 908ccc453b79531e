/** SSE framing: OpenAI chat uses bare `data:` lines; Responses and Anthropic name each event. */
export const dataEvent = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`;

export const namedEvent = (event: string, data: unknown): string =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export const DONE_EVENT = 'data: [DONE]\n\n';
