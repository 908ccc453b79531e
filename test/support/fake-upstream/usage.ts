/**
 * Token accounting of the fake, exported so tests can predict usage exactly.
 *
 * - Prompt tokens: whitespace-separated words in the prompt fields, at least 1.
 *   Chat: `messages`; Responses: `instructions` + `input`; embeddings: `input`;
 *   Anthropic messages and count_tokens: `system` + `messages`. A field is walked
 *   recursively: a string counts its words, a number counts 1 (token arrays), an array
 *   sums its items, an object sums its `content` and `text` members (so roles, types,
 *   names and ids do not count).
 * - Output: `chunkCount` content chunks of `chunkTokens` tokens (words) each, plus
 *   `reasoningTokens` (OpenAI), all capped by the request's max-token field (per chat
 *   choice): reasoning first, then content. Capped replies end with `length` /
 *   `max_output_tokens` / `max_tokens`.
 * - OpenAI cached tokens: `min(cachedTokens, prompt)`. Anthropic input_tokens excludes
 *   the cache counters, which are reported as configured.
 */
import type { Settings } from './types.ts';

type Body = Record<string, unknown>;

/** `contentTokens` words of text (in deltas of `chunkTokens`), after `reasoningTokens`. */
export type OutputPlan = { contentTokens: number; reasoningTokens: number; truncated: boolean };

export type ChatUsage = {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
};

export type ResponsesUsage = {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
};

export type AnthropicUsage = {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
};

export const countWords = (text: string): number => text.split(/\s+/).filter(Boolean).length;

/** Words in a prompt field, walked as described above (no minimum). */
export function promptWords(value: unknown): number {
  if (typeof value === 'string') return countWords(value);
  if (typeof value === 'number') return 1;
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + promptWords(item), 0);
  if (value !== null && typeof value === 'object') {
    const { content, text } = value as Body;
    return promptWords(content) + promptWords(text);
  }
  return 0;
}

const atLeastOne = (n: number): number => Math.max(1, n);

/** Chat `n`: how many choices a completion has. */
export const choiceCount = (body: Body): number => (typeof body.n === 'number' ? body.n : 1);

export const chatPromptTokens = (body: Body): number => atLeastOne(promptWords(body.messages));
export const responsesInputTokens = (body: Body): number =>
  atLeastOne(promptWords(body.instructions) + promptWords(body.input));
export const embeddingsTokens = (body: Body): number => atLeastOne(promptWords(body.input));
export const anthropicInputTokens = (body: Body): number =>
  atLeastOne(promptWords(body.system) + promptWords(body.messages));

/** How much output a request gets under an optional max-token cap. */
export function outputPlan(cap: unknown, settings: Settings, withReasoning: boolean): OutputPlan {
  const wantedReasoning = withReasoning ? settings.reasoningTokens : 0;
  const limit = typeof cap === 'number' ? cap : Number.POSITIVE_INFINITY;
  const reasoningTokens = Math.max(0, Math.min(wantedReasoning, limit));
  const wantedContent = settings.chunkCount * settings.chunkTokens;
  const contentTokens = Math.max(0, Math.min(wantedContent, limit - reasoningTokens));
  return { contentTokens, reasoningTokens, truncated: wantedContent + wantedReasoning > limit };
}

export const chatOutputPlan = (body: Body, settings: Settings): OutputPlan =>
  outputPlan(body.max_completion_tokens ?? body.max_tokens, settings, true);
export const responsesOutputPlan = (body: Body, settings: Settings): OutputPlan =>
  outputPlan(body.max_output_tokens, settings, true);
export const anthropicOutputPlan = (body: Body, settings: Settings): OutputPlan =>
  outputPlan(body.max_tokens, settings, false);

/** Expected `usage` of a chat completion (streamed or not), `n` choices included. */
export function chatUsage(body: Body, settings: Settings): ChatUsage {
  const prompt = chatPromptTokens(body);
  const plan = chatOutputPlan(body, settings);
  const n = choiceCount(body);
  const completion = n * (plan.contentTokens + plan.reasoningTokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: Math.min(settings.cachedTokens, prompt), audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: n * plan.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** Expected `response.usage` of a Responses API call (streamed or not). */
export function responsesUsage(body: Body, settings: Settings): ResponsesUsage {
  const input = responsesInputTokens(body);
  const plan = responsesOutputPlan(body, settings);
  const output = plan.contentTokens + plan.reasoningTokens;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: Math.min(settings.cachedTokens, input), cache_write_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: plan.reasoningTokens },
    total_tokens: input + output,
  };
}

/** Expected embeddings `usage`. */
export function embeddingsUsage(body: Body): { prompt_tokens: number; total_tokens: number } {
  const tokens = embeddingsTokens(body);
  return { prompt_tokens: tokens, total_tokens: tokens };
}

/** Expected final Anthropic message `usage` (non-streamed, or after the last `message_delta`). */
export function anthropicUsage(body: Body, settings: Settings): AnthropicUsage {
  return {
    input_tokens: anthropicInputTokens(body),
    output_tokens: anthropicOutputPlan(body, settings).contentTokens,
    cache_creation_input_tokens: settings.cacheWriteTokens,
    cache_read_input_tokens: settings.cachedTokens,
  };
}

/** Expected `usage` of a `gpt-image-*` generation: prompt words in, `chunkCount` tokens per image out. */
export function imagesUsage(body: Body, settings: Settings) {
  const input = atLeastOne(promptWords(body.prompt));
  const output = (typeof body.n === 'number' ? body.n : 1) * settings.chunkCount;
  return {
    input_tokens: input,
    input_tokens_details: { text_tokens: input, image_tokens: 0 },
    output_tokens: output,
    total_tokens: input + output,
  };
}

/**
 * Expected transcription `usage`: `whisper-1` bills seconds, one per started 16,000 bytes of
 * the file; other models bill tokens, one audio token per started 1,000 bytes plus the
 * `prompt` words, and `chunkCount` output tokens.
 */
export function transcriptionUsage(model: string, fileBytes: number, prompt: string, settings: Settings) {
  if (model === 'whisper-1') return { type: 'duration', seconds: atLeastOne(Math.ceil(fileBytes / 16_000)) };
  const audio = atLeastOne(Math.ceil(fileBytes / 1_000));
  const text = countWords(prompt);
  return {
    type: 'tokens',
    input_tokens: audio + text,
    input_token_details: { text_tokens: text, audio_tokens: audio },
    output_tokens: settings.chunkCount,
    total_tokens: audio + text + settings.chunkCount,
  };
}
