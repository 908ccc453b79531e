/**
 * The shipped price table: public list prices, standard tier, in USD per million tokens
 * (per image, per request where it says so). Checked against the providers' pricing and
 * model pages on 2026-11-28; docs/prices.md says how, what the fields mean and how an
 * operator overrides a model (`prices.<provider>.<model>` in the config file replaces
 * the entry below).
 *
 * Lookup is by exact id, else the longest key the id extends with `-…` (dated snapshots,
 * `-latest`). So a dearer variant sharing a prefix needs its own key (gpt-5-pro under
 * gpt-5, o3-pro under o3, gpt-4o-2024-05-13 under gpt-4o), and variants billed beyond
 * tokens have a key with no token price, so they are not priced as their base model.
 *
 * Worst cases hold, not averages:
 * - Anthropic `cacheWrite` is the 1-hour cache write (2 × input): a request may ask
 *   for it, and the 5-minute write (1.25 × input) costs less.
 * - `imageInputTokens` is the most one image can bill on that model (highest detail,
 *   largest size); `perImage` is the highest quality.
 * - `contextWindow` is the longest prompt the model takes with any beta header.
 * - Long-context tiers are listed where the provider bills a long prompt at higher rates.
 */
import type { PriceTable } from '../proxy/limits/price-table.ts';
import { deepFreeze } from '../shared/deep-freeze.ts';

/** OpenAI's long-context rates (GPT-5.4 and later): above 272K input, 2 × input and 1.5 × output. */
const openaiLong = (input: number, cachedInput: number | undefined, output: number) => ({
  aboveInputTokens: 272_000,
  input: input * 2,
  ...(cachedInput === undefined ? {} : { cachedInput: cachedInput * 2 }),
  output: output * 1.5,
});

/** Anthropic rates: cache hits as given, cache writes at the 1-hour price (2 × input). */
const claude = (input: number, cachedInput: number, output: number) => ({
  input,
  cachedInput,
  cacheWrite: input * 2,
  output,
});

/** Image input tokens: Claude up to Opus 4.6 (~1.15 MP images, w × h / 750). */
const CLAUDE_IMAGE = 1_600;
/** Image input tokens: high-resolution vision (Opus 4.7 and later, the 5 family): 4,784 at most. */
const CLAUDE_HIRES_IMAGE = 5_000;
/**
 * Image input tokens: Gemini bills 258 tokens per 768 × 768 tile (an image up to 384 px a
 * side is one tile) and scales large images down first (at most 16 tiles, 4,128 tokens);
 * 10,000 leaves room for higher media resolutions.
 */
const GEMINI_IMAGE = 10_000;
/** Gemini 2.x models: a 1,048,576-token context window. */
const GEMINI_CONTEXT = 1_048_576;
/** Image input tokens: GPT-5.1 and later accept `detail: "original"`, up to 10,000 patches. */
const GPT5X_IMAGE = 12_000;

export const DEFAULT_PRICES: PriceTable = deepFreeze({
  openai: {
    // GPT-5.5 / 5.4 (1.05M context; long-context rates above 272K input)
    'gpt-5.5': {
      input: 5,
      cachedInput: 0.5,
      output: 30,
      longContext: openaiLong(5, 0.5, 30),
      contextWindow: 1_050_000,
      maxOutputTokens: 128_000,
      imageInputTokens: GPT5X_IMAGE,
    },
    'gpt-5.5-pro': {
      input: 30,
      output: 180,
      longContext: openaiLong(30, undefined, 180),
      contextWindow: 1_050_000,
      maxOutputTokens: 128_000,
      imageInputTokens: GPT5X_IMAGE,
    },
    'gpt-5.4': {
      input: 2.5,
      cachedInput: 0.25,
      output: 15,
      longContext: openaiLong(2.5, 0.25, 15),
      contextWindow: 1_050_000,
      maxOutputTokens: 128_000,
      imageInputTokens: GPT5X_IMAGE,
    },
    'gpt-5.4-pro': {
      input: 30,
      output: 180,
      longContext: openaiLong(30, undefined, 180),
      contextWindow: 1_050_000,
      maxOutputTokens: 128_000,
      imageInputTokens: GPT5X_IMAGE,
    },
    'gpt-5.4-mini': {
      input: 0.75,
      cachedInput: 0.075,
      output: 4.5,
      longContext: openaiLong(0.75, 0.075, 4.5),
      contextWindow: 1_050_000,
      maxOutputTokens: 128_000,
      // Patch-based models multiply the patch count (×1.62 mini, ×2.46 nano).
      imageInputTokens: 25_000,
    },
    'gpt-5.4-nano': {
      input: 0.2,
      cachedInput: 0.02,
      output: 1.25,
      longContext: openaiLong(0.2, 0.02, 1.25),
      contextWindow: 1_050_000,
      maxOutputTokens: 128_000,
      imageInputTokens: 25_000,
    },
    // GPT-5.2 / 5.1 / 5 (400K context)
    'gpt-5.2': {
      input: 1.75,
      cachedInput: 0.175,
      output: 14,
      contextWindow: 400_000,
      maxOutputTokens: 128_000,
      imageInputTokens: GPT5X_IMAGE,
    },
    'gpt-5.2-pro': {
      input: 21,
      output: 168,
      contextWindow: 400_000,
      maxOutputTokens: 128_000,
      imageInputTokens: GPT5X_IMAGE,
    },
    'gpt-5.1': {
      input: 1.25,
      cachedInput: 0.125,
      output: 10,
      contextWindow: 400_000,
      maxOutputTokens: 128_000,
      imageInputTokens: GPT5X_IMAGE,
    },
    'gpt-5': {
      input: 1.25,
      cachedInput: 0.125,
      output: 10,
      contextWindow: 400_000,
      maxOutputTokens: 128_000,
      imageInputTokens: 1_500,
    },
    'gpt-5-pro': {
      input: 15,
      output: 120,
      contextWindow: 400_000,
      maxOutputTokens: 272_000,
      imageInputTokens: 1_500,
    },
    'gpt-5-mini': {
      input: 0.25,
      cachedInput: 0.025,
      output: 2,
      contextWindow: 400_000,
      maxOutputTokens: 128_000,
      imageInputTokens: 2_500,
    },
    'gpt-5-nano': {
      input: 0.05,
      cachedInput: 0.005,
      output: 0.4,
      contextWindow: 400_000,
      maxOutputTokens: 128_000,
      imageInputTokens: 3_800,
    },
    // Billed per web search on top of tokens: not priced by their gpt-5 prefix.
    'gpt-5-search-api': {},
    // GPT-4.1 (1M context)
    'gpt-4.1': {
      input: 2,
      cachedInput: 0.5,
      output: 8,
      contextWindow: 1_047_576,
      maxOutputTokens: 32_768,
      imageInputTokens: 1_500,
    },
    'gpt-4.1-mini': {
      input: 0.4,
      cachedInput: 0.1,
      output: 1.6,
      contextWindow: 1_047_576,
      maxOutputTokens: 32_768,
      imageInputTokens: 2_500,
    },
    'gpt-4.1-nano': {
      input: 0.1,
      cachedInput: 0.025,
      output: 0.4,
      contextWindow: 1_047_576,
      maxOutputTokens: 32_768,
      imageInputTokens: 3_800,
    },
    // GPT-4o
    'gpt-4o': {
      input: 2.5,
      cachedInput: 1.25,
      output: 10,
      contextWindow: 128_000,
      maxOutputTokens: 16_384,
      imageInputTokens: 1_500,
    },
    'gpt-4o-2024-05-13': {
      input: 5,
      output: 15,
      contextWindow: 128_000,
      maxOutputTokens: 4_096,
      imageInputTokens: 1_500,
    },
    'gpt-4o-mini': {
      input: 0.15,
      cachedInput: 0.075,
      output: 0.6,
      contextWindow: 128_000,
      maxOutputTokens: 16_384,
      // gpt-4o-mini bills images at 2,833 + 5,667 per tile (at most 8 tiles).
      imageInputTokens: 48_200,
    },
    // Billed beyond text tokens (web searches, audio tokens): not priced by their gpt-4o prefixes.
    'gpt-4o-search-preview': {},
    'gpt-4o-mini-search-preview': {},
    'gpt-4o-audio-preview': {},
    'gpt-4o-mini-audio-preview': {},
    // Reasoning models (200K context)
    o3: {
      input: 2,
      cachedInput: 0.5,
      output: 8,
      contextWindow: 200_000,
      maxOutputTokens: 100_000,
      imageInputTokens: 1_500,
    },
    'o3-pro': {
      input: 20,
      output: 80,
      contextWindow: 200_000,
      maxOutputTokens: 100_000,
      imageInputTokens: 1_500,
    },
    'o3-mini': {
      input: 1.1,
      cachedInput: 0.55,
      output: 4.4,
      contextWindow: 200_000,
      maxOutputTokens: 100_000,
    },
    'o4-mini': {
      input: 1.1,
      cachedInput: 0.275,
      output: 4.4,
      contextWindow: 200_000,
      maxOutputTokens: 100_000,
      imageInputTokens: 2_700,
    },
    // Deep research runs with built-in tools and bills above its base model.
    'o3-deep-research': {},
    'o4-mini-deep-research': {},
    o1: {
      input: 15,
      cachedInput: 7.5,
      output: 60,
      contextWindow: 200_000,
      maxOutputTokens: 100_000,
      imageInputTokens: 1_500,
    },
    'o1-pro': {
      input: 150,
      output: 600,
      contextWindow: 200_000,
      maxOutputTokens: 100_000,
      imageInputTokens: 1_500,
    },
    // Embeddings (input only)
    'text-embedding-3-small': { input: 0.02 },
    'text-embedding-3-large': { input: 0.13 },
    'text-embedding-ada-002': { input: 0.1 },
    // Images: per image at high quality; input = prompt text tokens, output = image
    // output tokens (streamed partial images add 100 each).
    'gpt-image-1.5': {
      input: 8,
      output: 32,
      perImage: { '1024x1024': 0.133, '1024x1536': 0.2, '1536x1024': 0.2 },
    },
    'gpt-image-1': {
      input: 5,
      output: 40,
      perImage: { '1024x1024': 0.167, '1024x1536': 0.25, '1536x1024': 0.25 },
    },
    'gpt-image-1-mini': {
      input: 2,
      output: 8,
      perImage: { '1024x1024': 0.036, '1024x1536': 0.052, '1536x1024': 0.052 },
    },
    'dall-e-3': { perImage: { '1024x1024': 0.08, '1024x1792': 0.12, '1792x1024': 0.12 } },
    'dall-e-2': { perImage: { '256x256': 0.016, '512x512': 0.018, '1024x1024': 0.02 } },
  },
  anthropic: {
    // Claude 5 family (1M context, 128K output, high-resolution images)
    'claude-fable-5-1': {
      ...claude(10, 0.25, 50),
      contextWindow: 1_000_000,
      maxOutputTokens: 128_000,
      imageInputTokens: CLAUDE_HIRES_IMAGE,
    },
    'claude-fable-5': {
      ...claude(10, 1, 50),
      contextWindow: 1_000_000,
      maxOutputTokens: 128_000,
      imageInputTokens: CLAUDE_HIRES_IMAGE,
    },
    'claude-opus-5-5': {
      ...claude(4, 0.2, 20),
      contextWindow: 1_000_000,
      maxOutputTokens: 128_000,
      imageInputTokens: CLAUDE_HIRES_IMAGE,
    },
    'claude-opus-5': {
      ...claude(5, 0.5, 25),
      contextWindow: 1_000_000,
      maxOutputTokens: 128_000,
      imageInputTokens: CLAUDE_HIRES_IMAGE,
    },
    'claude-sonnet-5-5': {
      ...claude(2, 0.1, 10),
      contextWindow: 1_000_000,
      maxOutputTokens: 128_000,
      imageInputTokens: CLAUDE_HIRES_IMAGE,
    },
    'claude-sonnet-5': {
      ...claude(2, 0.2, 10),
      contextWindow: 1_000_000,
      maxOutputTokens: 128_000,
      imageInputTokens: CLAUDE_HIRES_IMAGE,
    },
    'claude-haiku-5-5': {
      // Priced by prompt length: up to 100K, and (every token of the request) above.
      ...claude(0.1, 0.01, 0.5),
      longContext: { aboveInputTokens: 100_000, input: 0.5, cachedInput: 0.05, cacheWrite: 1, output: 2.5 },
      contextWindow: 1_000_000,
      maxOutputTokens: 128_000,
      imageInputTokens: CLAUDE_HIRES_IMAGE,
    },
    // Claude 4 family
    'claude-opus-4-8': {
      ...claude(5, 0.5, 25),
      contextWindow: 1_000_000,
      maxOutputTokens: 128_000,
      imageInputTokens: CLAUDE_HIRES_IMAGE,
    },
    'claude-opus-4-7': {
      ...claude(5, 0.5, 25),
      contextWindow: 1_000_000,
      maxOutputTokens: 128_000,
      imageInputTokens: CLAUDE_HIRES_IMAGE,
    },
    'claude-opus-4-6': {
      ...claude(5, 0.5, 25),
      contextWindow: 1_000_000,
      maxOutputTokens: 128_000,
      imageInputTokens: CLAUDE_IMAGE,
    },
    'claude-opus-4-5': {
      ...claude(5, 0.5, 25),
      contextWindow: 200_000,
      maxOutputTokens: 64_000,
      imageInputTokens: CLAUDE_IMAGE,
    },
    'claude-opus-4-1': {
      ...claude(15, 1.5, 75),
      contextWindow: 200_000,
      maxOutputTokens: 32_000,
      imageInputTokens: CLAUDE_IMAGE,
    },
    'claude-opus-4': {
      ...claude(15, 1.5, 75),
      contextWindow: 200_000,
      maxOutputTokens: 32_000,
      imageInputTokens: CLAUDE_IMAGE,
    },
    'claude-sonnet-4-6': {
      ...claude(3, 0.3, 15),
      contextWindow: 1_000_000,
      maxOutputTokens: 64_000,
      imageInputTokens: CLAUDE_IMAGE,
    },
    // Sonnet 4.5 and 4: 1M context with a beta header, prompts above 200K at 2 × input, 1.5 × output.
    'claude-sonnet-4-5': {
      ...claude(3, 0.3, 15),
      longContext: { aboveInputTokens: 200_000, input: 6, cachedInput: 0.6, cacheWrite: 12, output: 22.5 },
      contextWindow: 1_000_000,
      maxOutputTokens: 64_000,
      imageInputTokens: CLAUDE_IMAGE,
    },
    'claude-sonnet-4': {
      ...claude(3, 0.3, 15),
      longContext: { aboveInputTokens: 200_000, input: 6, cachedInput: 0.6, cacheWrite: 12, output: 22.5 },
      contextWindow: 1_000_000,
      maxOutputTokens: 64_000,
      imageInputTokens: CLAUDE_IMAGE,
    },
    'claude-haiku-4-5': {
      ...claude(1, 0.1, 5),
      contextWindow: 200_000,
      maxOutputTokens: 64_000,
      imageInputTokens: CLAUDE_IMAGE,
    },
    // Claude 3 family (deprecated or retiring)
    'claude-3-7-sonnet': {
      ...claude(3, 0.3, 15),
      contextWindow: 200_000,
      maxOutputTokens: 64_000,
      imageInputTokens: CLAUDE_IMAGE,
    },
    'claude-3-5-haiku': {
      ...claude(0.8, 0.08, 4),
      contextWindow: 200_000,
      maxOutputTokens: 8_192,
      imageInputTokens: CLAUDE_IMAGE,
    },
    'claude-3-haiku': {
      ...claude(0.25, 0.03, 1.25),
      contextWindow: 200_000,
      maxOutputTokens: 4_096,
      imageInputTokens: CLAUDE_IMAGE,
    },
  },
  google: {
    // Gemini 2.5 (thinking models: thoughts are billed as output and count against
    // maxOutputTokens). Cached input is implicit caching's read price; explicit context
    // caches (cachedContent) are stored state and refused.
    'gemini-2.5-pro': {
      input: 1.25,
      cachedInput: 0.125,
      output: 10,
      longContext: { aboveInputTokens: 200_000, input: 2.5, cachedInput: 0.25, output: 15 },
      contextWindow: GEMINI_CONTEXT,
      maxOutputTokens: 65_536,
      imageInputTokens: GEMINI_IMAGE,
    },
    'gemini-2.5-flash': {
      input: 0.3,
      cachedInput: 0.03,
      output: 2.5,
      contextWindow: GEMINI_CONTEXT,
      maxOutputTokens: 65_536,
      imageInputTokens: GEMINI_IMAGE,
    },
    'gemini-2.5-flash-lite': {
      input: 0.1,
      cachedInput: 0.01,
      output: 0.4,
      contextWindow: GEMINI_CONTEXT,
      maxOutputTokens: 65_536,
      imageInputTokens: GEMINI_IMAGE,
    },
    // Gemini 2.0
    'gemini-2.0-flash': {
      input: 0.1,
      cachedInput: 0.025,
      output: 0.4,
      contextWindow: GEMINI_CONTEXT,
      maxOutputTokens: 8_192,
      imageInputTokens: GEMINI_IMAGE,
    },
    'gemini-2.0-flash-lite': {
      input: 0.075,
      output: 0.3,
      contextWindow: GEMINI_CONTEXT,
      maxOutputTokens: 8_192,
      imageInputTokens: GEMINI_IMAGE,
    },
    // Embeddings: input only.
    'gemini-embedding-001': { input: 0.15 },
    // Variants billed beyond text tokens (image and audio output, live sessions): no
    // token price, so they are not priced as their base model.
    'gemini-2.5-flash-image': {},
    'gemini-2.5-flash-preview-tts': {},
    'gemini-2.5-pro-preview-tts': {},
    'gemini-2.5-flash-native-audio': {},
    'gemini-2.5-flash-live': {},
    'gemini-2.0-flash-preview-image-generation': {},
    'gemini-2.0-flash-live': {},
  },
});
