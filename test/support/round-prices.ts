/**
 * Round prices so every expected cost is plain arithmetic, in µ$ per token: gpt-4o-mini
 * 1 in (0.5 cached), 2 out; claude-sonnet-5-5 3 in (0.3 cache reads, 6 cache writes),
 * 15 out. The models' output maxima are the only thing tests vary.
 */
export function roundPrices(maxOutputTokens = { openai: 1000, anthropic: 500 }) {
  return {
    openai: {
      'gpt-4o-mini': {
        input: 1,
        cachedInput: 0.5,
        output: 2,
        contextWindow: 100_000,
        maxOutputTokens: maxOutputTokens.openai,
      },
    },
    anthropic: {
      'claude-sonnet-5-5': {
        input: 3,
        cachedInput: 0.3,
        cacheWrite: 6,
        output: 15,
        contextWindow: 200_000,
        maxOutputTokens: maxOutputTokens.anthropic,
      },
    },
  };
}

/** The round prices with gpt-4o-mini's output maximum at 1,000 tokens and claude-sonnet-5-5's at 500. */
export const ROUND_PRICES = roundPrices();

/** The smallest chat completion the round prices price: "hi", at most 30 tokens out. */
export const HI_CHAT = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'hi' }],
  max_tokens: 30,
};
/** The smallest Anthropic message the round prices price: "hi", at most 30 tokens out. */
export const HI_MESSAGE = {
  model: 'claude-sonnet-5-5',
  max_tokens: 30,
  messages: [{ role: 'user' as const, content: 'hi' }],
};
