/**
 * How one provider endpoint reports token usage, for the usage tap (`usage-tap.ts`): the
 * JSON key it sits under, how to read a complete answer's, and how to follow a stream's.
 * Each provider's folder under `endpoints/` has its readers; the tap only finds the events.
 */

/**
 * Tokens of one request. `inputTokens` counts every input token, including cache reads
 * (`cachedInputTokens`) and cache writes (`cacheWriteTokens`); `outputTokens` counts every
 * output token, including `reasoningTokens`.
 */
export interface TokenUsage {
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

export type Json = Record<string, unknown>;

/** One streamed answer's usage as its events arrive. */
export interface StreamUsage {
  /**
   * Reads the data of one event holding the usage key. Returns true when the event is
   * only the extra usage chunk the proxy asked for (strip mode withholds it).
   */
  event(data: Json): boolean;
  /** What was reported so far; undefined while nothing was. */
  usage(): TokenUsage | undefined;
  /** Whether that is the provider's FINAL count, the one it bills. */
  final(): boolean;
}

export interface UsageReader {
  /** The key the usage object sits under (`usage`; Gemini `usageMetadata`). */
  readonly key: string;
  /** A complete JSON answer's usage, from the object under `key`. */
  fromObject(usage: Json): TokenUsage;
  /** A reader for one streamed answer. */
  stream(): StreamUsage;
}

/** A count: a finite number ≥ 0, rounded; anything else is not one. */
export const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
/** An object (not an array, not null), or undefined. */
export const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

export const zeroUsage = (): TokenUsage => ({
  inputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
});

/** A stream whose usage comes once, at its end: whatever was read is final. */
export function onceAtTheEnd(
  read: (data: Json) => { usage?: TokenUsage; strip?: boolean },
): () => StreamUsage {
  return () => {
    let current: TokenUsage | undefined;
    return {
      event(data) {
        const got = read(data);
        if (got.usage) current = got.usage;
        return got.strip === true;
      },
      usage: () => current,
      final: () => current !== undefined,
    };
  };
}
