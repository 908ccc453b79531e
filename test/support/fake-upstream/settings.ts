import type { Settings } from './types.ts';

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  chunkCount: 20,
  chunkTokens: 1,
  chunkDelayMs: 0,
  cachedTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
  embeddingDimensions: 8,
  usageUnasked: false,
});

/** Settings from creation options: defaults overridden by whichever knobs were given. */
export function pickSettings(options: Partial<Settings>): Settings {
  const settings = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]) {
    const value = options[key];
    if (value !== undefined) (settings as Record<keyof Settings, unknown>)[key] = value;
  }
  return settings;
}
