/**
 * Token accounting of the fake Gemini, exported so tests can predict usage exactly:
 * prompt tokens are the words of `contents` and `systemInstruction` (parts' `text`), at
 * least 1; output is `chunkCount × chunkTokens` words per candidate plus `reasoningTokens`
 * thoughts, all capped by `generationConfig.maxOutputTokens` (thoughts first, as Gemini
 * counts them against it); `cachedTokens` (clamped to the prompt) is reported as
 * `cachedContentTokenCount`. Zero counters are left out, as Google does.
 */
import { isObject } from '../context.ts';
import type { Settings } from '../types.ts';
import { type OutputPlan, outputPlan, promptWords } from '../usage.ts';

type Body = Record<string, unknown>;

export type GeminiUsage = {
  promptTokenCount: number;
  candidatesTokenCount?: number;
  totalTokenCount: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
};

const generationConfig = (body: Body): Body => (isObject(body.generationConfig) ? body.generationConfig : {});

/** Candidates a request asks for (`generationConfig.candidateCount`, default 1). */
export const candidateCount = (body: Body): number => {
  const n = generationConfig(body).candidateCount;
  return typeof n === 'number' && n >= 1 ? n : 1;
};

/** Words of `contents` (a string, a Content, or Contents) and `systemInstruction`. */
function partsWords(value: unknown): number {
  if (typeof value === 'string') return promptWords(value);
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + partsWords(item), 0);
  if (isObject(value))
    return partsWords(value.parts) + (typeof value.text === 'string' ? promptWords(value.text) : 0);
  return 0;
}

export const geminiPromptTokens = (body: Body): number =>
  Math.max(1, partsWords(body.contents) + partsWords(body.systemInstruction));

export const geminiOutputPlan = (body: Body, settings: Settings): OutputPlan =>
  outputPlan(generationConfig(body).maxOutputTokens, settings, true);

/** The final `usageMetadata` of a generateContent call (streamed or not), every candidate included. */
export function geminiUsage(body: Body, settings: Settings): GeminiUsage {
  const prompt = geminiPromptTokens(body);
  const plan = geminiOutputPlan(body, settings);
  const n = candidateCount(body);
  return usageOf(
    prompt,
    n * plan.contentTokens,
    n * plan.reasoningTokens,
    Math.min(settings.cachedTokens, prompt),
  );
}

/** A `usageMetadata` object from its counts (zeros left out). */
export function usageOf(prompt: number, candidates: number, thoughts: number, cached: number): GeminiUsage {
  return {
    promptTokenCount: prompt,
    ...(candidates > 0 ? { candidatesTokenCount: candidates } : {}),
    totalTokenCount: prompt + candidates + thoughts,
    ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
    ...(cached > 0 ? { cachedContentTokenCount: cached } : {}),
  };
}
