import {
  type Json,
  num,
  obj,
  onceAtTheEnd,
  type TokenUsage,
  type UsageReader,
} from '../../usage/usage-reader.ts';

/** OpenAI chat completions and embeddings `usage`. */
function fromChatUsage(u: Json): TokenUsage {
  return {
    inputTokens: num(u.prompt_tokens) ?? 0,
    cachedInputTokens: num(obj(u.prompt_tokens_details)?.cached_tokens) ?? 0,
    cacheWriteTokens: num(obj(u.prompt_tokens_details)?.cache_write_tokens) ?? 0,
    outputTokens: num(u.completion_tokens) ?? 0,
    reasoningTokens: num(obj(u.completion_tokens_details)?.reasoning_tokens) ?? 0,
  };
}

/** OpenAI Responses `usage`. */
function fromResponsesUsage(u: Json): TokenUsage {
  return {
    inputTokens: num(u.input_tokens) ?? 0,
    cachedInputTokens: num(obj(u.input_tokens_details)?.cached_tokens) ?? 0,
    cacheWriteTokens: num(obj(u.input_tokens_details)?.cache_write_tokens) ?? 0,
    outputTokens: num(u.output_tokens) ?? 0,
    reasoningTokens: num(obj(u.output_tokens_details)?.reasoning_tokens) ?? 0,
  };
}

/**
 * Chat completions (and embeddings, which report the same way): the stream's usage comes
 * in one chunk at its end; a chunk with no choices is only that (the one strip mode withholds).
 */
export const chatUsage: UsageReader = {
  key: 'usage',
  fromObject: fromChatUsage,
  stream: onceAtTheEnd((data) => {
    const u = obj(data.usage);
    if (!u) return {};
    return { usage: fromChatUsage(u), strip: Array.isArray(data.choices) && data.choices.length === 0 };
  }),
};

export const embeddingsUsage: UsageReader = chatUsage;

const RESPONSE_ENDS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** Responses: the usage of `response.completed` (or `.incomplete`, `.failed`). */
export const responsesUsage: UsageReader = {
  key: 'usage',
  fromObject: fromResponsesUsage,
  stream: onceAtTheEnd((data) => {
    if (typeof data.type !== 'string' || !RESPONSE_ENDS.has(data.type)) return {};
    const u = obj(obj(data.response)?.usage);
    return u ? { usage: fromResponsesUsage(u) } : {};
  }),
};

/**
 * A chat stream's request: asks for the usage chunk when the client did not (returns
 * true: the tap withholds that chunk from the client again).
 */
export function requestStreamUsage(json: Record<string, unknown>): boolean {
  if (json.stream !== true) return false;
  const options = obj(json.stream_options);
  if (options?.include_usage === true) return false;
  json.stream_options = { ...options, include_usage: true };
  return true;
}
