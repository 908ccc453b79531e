import { type Json, num, obj, type TokenUsage, type UsageReader } from '../../usage/usage-reader.ts';

/** Anthropic's counters; cumulative, so each one present overwrites the one before. */
interface Counters {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
}

function overwrite(into: Counters, u: Json): void {
  into.input = num(u.input_tokens) ?? into.input;
  into.cacheRead = num(u.cache_read_input_tokens) ?? into.cacheRead;
  into.cacheWrite = num(u.cache_creation_input_tokens) ?? into.cacheWrite;
  into.output = num(u.output_tokens) ?? into.output;
}

/** Anthropic `input_tokens` excludes the cache counters; ours includes them. */
const usageOf = (c: Counters): TokenUsage => ({
  inputTokens: c.input + c.cacheRead + c.cacheWrite,
  cachedInputTokens: c.cacheRead,
  cacheWriteTokens: c.cacheWrite,
  outputTokens: c.output,
  reasoningTokens: 0,
});

/**
 * Messages: a stream reports usage in `message_start` (partial: its `output_tokens` is 1
 * or so) and in `message_delta` (the final count), each overwriting what it carries.
 */
export const messagesUsage: UsageReader = {
  key: 'usage',
  fromObject(u) {
    const c = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 };
    overwrite(c, u);
    return usageOf(c);
  },
  stream() {
    const c: Counters = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 };
    let seen = false;
    let final = false;
    return {
      event(data) {
        const start = data.type === 'message_start';
        if (!start && data.type !== 'message_delta') return false;
        const u = start ? obj(obj(data.message)?.usage) : obj(data.usage);
        if (!u) return false;
        overwrite(c, u);
        seen = true;
        if (!start) final = true;
        return false;
      },
      usage: () => (seen ? usageOf(c) : undefined),
      final: () => final,
    };
  },
};
