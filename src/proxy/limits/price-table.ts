/**
 * What models cost, and what a request's usage cost. Pure: no I/O.
 *
 * Every rate is in USD per million tokens, which is the same number as micro-USD per
 * token, so a cost in micro-USD is simply tokens × rate. The shipped table is
 * `src/config/default-prices.ts`; operators override it per model in the configuration
 * (`prices.<provider>.<model>`, see docs/prices.md).
 */
import type { Provider } from '../../scopes/index.ts';
import type { TokenUsage } from '../usage/usage-tap.ts';

/**
 * Rates that replace the standard ones for every token of a request (output included)
 * whose prompt is longer than `aboveInputTokens`: the providers' long-context pricing
 * (OpenAI above 272K input tokens, Anthropic's 1M-context Sonnet 4 / 4.5 above 200K,
 * Claude Haiku 5.5 above 100K). The prompt counts cache reads and writes, like
 * `TokenUsage.inputTokens`.
 */
export interface LongContextPrice {
  aboveInputTokens: number;
  /** USD per million tokens. cachedInput / cacheWrite default to this tier's input. */
  input: number;
  cachedInput?: number;
  cacheWrite?: number;
  /** Defaults to the standard output rate. */
  output?: number;
}

export interface ModelPrice {
  /** USD per million tokens. cachedInput / cacheWrite default to input when absent. */
  input?: number;
  cachedInput?: number;
  cacheWrite?: number;
  output?: number;
  /** Largest prompt the model accepts, in tokens: bounds what the request's bytes cannot (images, files). */
  contextWindow?: number;
  /** Most output tokens one choice can produce (used as the bound injected when a request sets none). */
  maxOutputTokens?: number;
  /** Worst-case input tokens of one image part (OpenAI image_url/input_image, Anthropic image block). */
  imageInputTokens?: number;
  /** USD per generated image by size (e.g. "1024x1024"), at the most expensive quality. */
  perImage?: Record<string, number>;
  /** USD per request, for endpoints priced per call (when set, it is the whole price). */
  perRequest?: number;
  /** Dearer rates for long prompts, where the provider has them. */
  longContext?: LongContextPrice;
}

/** Per provider id (built-in or configured), per model id. */
export type PriceTable = Readonly<Record<Provider, Record<string, ModelPrice>>>;

/** The four token rates that apply to one request, resolved (undefined: not priced). */
export interface TokenRates {
  input: number | undefined;
  cachedInput: number | undefined;
  cacheWrite: number | undefined;
  output: number | undefined;
}

/**
 * Exact model id, else the longest table key k with model === k or
 * model.startsWith(k + '-') (dated snapshots like gpt-4o-2024-08-06,
 * claude-sonnet-4-5-20250929). Only the table's own keys count, so an id such as
 * `constructor` or `toString` finds nothing.
 */
export function findPrice(table: PriceTable, provider: Provider, model: string): ModelPrice | undefined {
  if (!Object.hasOwn(table, provider)) return undefined;
  const prices = table[provider];
  if (!prices) return undefined;
  if (Object.hasOwn(prices, model)) return prices[model];
  let best: string | undefined;
  for (const key of Object.keys(prices)) {
    if (key !== '' && model.startsWith(`${key}-`) && (best === undefined || key.length > best.length)) {
      best = key;
    }
  }
  return best === undefined ? undefined : prices[best];
}

const standardRates = (price: ModelPrice): TokenRates => ({
  input: price.input,
  cachedInput: price.cachedInput ?? price.input,
  cacheWrite: price.cacheWrite ?? price.input,
  output: price.output,
});

function longContextRates(price: ModelPrice): TokenRates | undefined {
  const long = price.longContext;
  if (!long) return undefined;
  return {
    input: long.input,
    cachedInput: long.cachedInput ?? long.input,
    cacheWrite: long.cacheWrite ?? long.input,
    output: long.output ?? price.output,
  };
}

/** The rates a request with a prompt of `inputTokens` tokens is billed at. */
export function ratesFor(price: ModelPrice, inputTokens: number): TokenRates {
  const long = longContextRates(price);
  const aboveInputTokens = price.longContext?.aboveInputTokens;
  return long && aboveInputTokens !== undefined && inputTokens > aboveInputTokens
    ? long
    : standardRates(price);
}

/** Rounds micro-USD up to an integer, ignoring float noise (0.1 + 0.2 must not become 1). */
/** Micro-USD rounded up to a whole number (float noise below 1e-9 ignored). */
export const ceilMicro = (microUsd: number): number => Math.max(0, Math.ceil(microUsd - 1e-9));

/**
 * Cost of real usage in micro-USD, rounded UP to an integer; undefined when the price
 * has no token prices (or lacks the rate some of the usage needs). Uncached input =
 * inputTokens - cachedInputTokens - cacheWriteTokens at `input`; cached at
 * `cachedInput ?? input`; cache writes at `cacheWrite ?? input`; all output (reasoning
 * included) at `output`. A prompt above `longContext.aboveInputTokens` is billed, all
 * of it, at the long-context rates.
 */
export function costMicroUsd(price: ModelPrice, usage: TokenUsage): number | undefined {
  if (price.input === undefined && price.output === undefined) return undefined;
  const rates = ratesFor(price, usage.inputTokens);
  const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens);
  const parts: Array<[tokens: number, rate: number | undefined]> = [
    [uncached, rates.input],
    [usage.cachedInputTokens, rates.cachedInput],
    [usage.cacheWriteTokens, rates.cacheWrite],
    [usage.outputTokens, rates.output],
  ];
  let total = 0;
  for (const [tokens, rate] of parts) {
    if (tokens <= 0) continue;
    if (rate === undefined) return undefined;
    total += tokens * rate;
  }
  return ceilMicro(total);
}

const maxOf = (...values: Array<number | undefined>): number =>
  values.reduce<number>((max, v) => (v !== undefined && v > max ? v : max), 0);

const inputMax = (rates: TokenRates): number => maxOf(rates.input, rates.cachedInput, rates.cacheWrite);

/**
 * The dearest input and output rates (micro-USD per token) a request whose prompt has
 * at most `maxInputTokens` tokens can be billed at: the standard rates, and the
 * long-context ones too when the prompt may pass their threshold.
 */
export function worstRatesFor(price: ModelPrice, maxInputTokens: number): { input: number; output: number } {
  const standard = standardRates(price);
  const long = longContextRates(price);
  const aboveInputTokens = price.longContext?.aboveInputTokens;
  const mayBeLong = long !== undefined && aboveInputTokens !== undefined && maxInputTokens > aboveInputTokens;
  return {
    input: mayBeLong ? Math.max(inputMax(standard), inputMax(long)) : inputMax(standard),
    output: mayBeLong ? maxOf(standard.output, long.output) : maxOf(standard.output),
  };
}

/** The most one input token can cost, in micro-USD: max(input, cachedInput, cacheWrite), over every tier. */
export function worstInputMicroUsdPerToken(price: ModelPrice): number {
  return worstRatesFor(price, Number.POSITIVE_INFINITY).input;
}

/** The most one output token can cost, in micro-USD (the long-context rate when there is one). */
export function outputMicroUsdPerToken(price: ModelPrice): number {
  return worstRatesFor(price, Number.POSITIVE_INFINITY).output;
}

/**
 * Upper bound in micro-USD of a request of at most `inputTokens` input and `outputTokens`
 * output tokens, however the input splits into cache reads, writes and fresh tokens.
 */
export function worstCaseMicroUsd(price: ModelPrice, inputTokens: number, outputTokens: number): number {
  const worst = worstRatesFor(price, inputTokens);
  return ceilMicro(inputTokens * worst.input + outputTokens * worst.output);
}
