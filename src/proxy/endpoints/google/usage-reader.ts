import { type Json, num, obj, type TokenUsage, type UsageReader } from '../../usage/usage-reader.ts';

/**
 * Gemini `usageMetadata`. `promptTokenCount` already includes the cached tokens
 * (`cachedContentTokenCount`); tool-use prompts (`toolUsePromptTokenCount`) are billed as
 * input too. Thoughts (`thoughtsTokenCount`) are billed as output and are not in
 * `candidatesTokenCount`.
 */
function fromUsageMetadata(u: Json): TokenUsage {
  const thoughts = num(u.thoughtsTokenCount) ?? 0;
  return {
    inputTokens: (num(u.promptTokenCount) ?? 0) + (num(u.toolUsePromptTokenCount) ?? 0),
    cachedInputTokens: num(u.cachedContentTokenCount) ?? 0,
    cacheWriteTokens: 0,
    outputTokens: (num(u.candidatesTokenCount) ?? 0) + thoughts,
    reasoningTokens: thoughts,
  };
}

/**
 * Whether a chunk is the last of its stream: a candidate with a `finishReason`, or a
 * prompt refused (`promptFeedback.blockReason`, no candidates).
 */
function isFinal(data: Json): boolean {
  const candidates = Array.isArray(data.candidates) ? data.candidates : [];
  if (candidates.some((c) => typeof obj(c)?.finishReason === 'string')) return true;
  return typeof obj(data.promptFeedback)?.blockReason === 'string';
}

/**
 * generateContent, embedContent and the rest: every streamed chunk's `usageMetadata` is
 * cumulative, and the one with a `finishReason` is final.
 */
export const geminiUsage: UsageReader = {
  key: 'usageMetadata',
  fromObject: fromUsageMetadata,
  stream() {
    let current: TokenUsage | undefined;
    let final = false;
    return {
      event(data) {
        const u = obj(data.usageMetadata);
        if (u) {
          current = fromUsageMetadata(u);
          if (isFinal(data)) final = true;
        }
        return false;
      },
      usage: () => current,
      final: () => final,
    };
  },
};
