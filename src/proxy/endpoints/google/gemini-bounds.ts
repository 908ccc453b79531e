import {
  type BoundContext,
  badLimit,
  boundEmbeddings,
  DEFAULT_IMAGE_INPUT_TOKENS,
  isObject,
  isSet,
  longestString,
  MAX_DEPTH,
  positiveInt,
  type RequestBound,
  readLimit,
  unbounded,
} from '../../limits/request-bounds.ts';

/**
 * Gemini's cost bounds: what of a `generateContent` or `embedContent` body costs more
 * than its bytes, and where its output bound is. The generic reader pieces are in
 * src/proxy/limits/request-bounds.ts; the endpoint specs of this folder name these readers.
 */

type Json = Record<string, unknown>;
type Context = BoundContext;

/** Gemini tool fields that are plain function definitions the app runs itself. */
const GEMINI_CLIENT_TOOL_FIELDS = new Set(['functionDeclarations']);

/**
 * Gemini parts whose tokens are not their bytes: `inlineData` images count as images
 * (their payload's bytes replaced), audio is unbounded (billed above text on most
 * models), anything else inline (PDF pages, video) and `fileData` (a URL the provider
 * fetches) can hold more tokens than bytes: the context window bounds them.
 */
function geminiPartProblem(json: Json): { problem?: RequestBound; hidden?: string } {
  let hidden: string | undefined;
  const stack: Array<{ value: unknown; depth: number }> = [{ value: json, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) continue;
    if (!Array.isArray(value)) {
      const inline = (value as Json).inlineData;
      if (isObject(inline)) {
        const mime = inline.mimeType;
        if (typeof mime !== 'string') return { problem: unbounded('inlineData without a mimeType') };
        if (mime.startsWith('audio/')) return { problem: unbounded('audio input is not priced') };
        if (!mime.startsWith('image/')) hidden ??= `an inline ${mime} part`;
      }
      if (isSet((value as Json).fileData)) hidden ??= 'a fileData part';
    }
    for (const inner of Object.values(value)) {
      if (typeof inner === 'object' && inner !== null) stack.push({ value: inner, depth: depth + 1 });
    }
  }
  return { hidden };
}

/** The images of a Gemini body: `inlineData` parts of an image type, and their payload bytes. */
function geminiImages(json: Json): { images: number; payloadBytes: number } {
  let images = 0;
  let payloadBytes = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value: json, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) continue;
    const inline = Array.isArray(value) ? undefined : (value as Json).inlineData;
    if (isObject(inline) && typeof inline.mimeType === 'string' && inline.mimeType.startsWith('image/')) {
      images += 1;
      payloadBytes += longestString(inline);
      continue;
    }
    for (const inner of Object.values(value)) {
      if (typeof inner === 'object' && inner !== null) stack.push({ value: inner, depth: depth + 1 });
    }
  }
  return { images, payloadBytes };
}

/**
 * Gemini `models/{model}:generateContent` and `:streamGenerateContent`: the output bound
 * is `generationConfig.maxOutputTokens` (thoughts count against it) per candidate,
 * times `candidateCount`.
 */
export function boundGenerateContent(ctx: Context): RequestBound {
  const { json, price, name } = ctx;
  if (price.input === undefined) return unbounded(`model ${name} has no input token price`);
  if (price.output === undefined) return unbounded(`model ${name} has no output token price`);
  const config = isObject(json.generationConfig) ? json.generationConfig : {};
  const modalities = config.responseModalities;
  if (Array.isArray(modalities) && modalities.some((m) => m !== 'TEXT')) {
    return unbounded('image or audio output (responseModalities) is not priced');
  }
  if (isSet(config.speechConfig)) return unbounded('audio output (speechConfig) is not priced');
  const tools = Array.isArray(json.tools) ? json.tools : [];
  for (const tool of tools) {
    const fields = isObject(tool) ? Object.keys(tool) : [];
    const builtIn = fields.find((field) => !GEMINI_CLIENT_TOOL_FIELDS.has(field));
    if (builtIn !== undefined) {
      return unbounded(
        `the built-in tool ${builtIn} is billed per call and adds tokens Mandate cannot bound`,
      );
    }
  }
  const parts = geminiPartProblem(json);
  if (parts.problem) return parts.problem;
  const limit = readLimit(config.maxOutputTokens);
  if (!limit.ok) return badLimit('generationConfig.maxOutputTokens');
  const choices = positiveInt(config.candidateCount) ?? 1;
  let inputTokens: number;
  if (parts.hidden !== undefined) {
    if (price.contextWindow === undefined) {
      return unbounded(
        `${parts.hidden} can hold more tokens than its bytes, and model ${name} has no contextWindow to bound them`,
      );
    }
    inputTokens = price.contextWindow;
  } else {
    const { images, payloadBytes } = geminiImages(json);
    const perImage = price.imageInputTokens ?? DEFAULT_IMAGE_INPUT_TOKENS;
    inputTokens = Math.max(0, ctx.bodyBytes - payloadBytes) + images * perImage;
    if (price.contextWindow !== undefined) inputTokens = Math.min(inputTokens, price.contextWindow);
  }
  return {
    kind: 'tokens',
    inputTokens,
    choices,
    requestedOutputPerChoice: limit.tokens,
    outputField: ctx.outputField,
    maxOutputPerChoice: price.maxOutputTokens,
  };
}

/** Gemini `:embedContent` and `:batchEmbedContents`: input only, text in the bytes; other parts unbounded. */
export function boundEmbedContent(ctx: Context): RequestBound {
  const parts = geminiPartProblem(ctx.json);
  if (parts.problem) return parts.problem;
  if (parts.hidden !== undefined || geminiImages(ctx.json).images > 0) {
    return unbounded('only text embeddings are priced');
  }
  return boundEmbeddings(ctx);
}
