/**
 * A TRUE UPPER BOUND of what one request can cost, read from the request alone, before
 * it is forwarded. Pure: no I/O. The reservation engine reserves the bound, sends the
 * output bound upstream (so the provider cannot produce more), and settles to the real
 * usage afterwards. Where no bound can be proven the answer is `unbounded`, with the
 * reason shown to the app: a grant with a spend or token cap refuses such a request
 * rather than guess. docs/prices.md explains every rule below.
 *
 * Input tokens. Every token these tokenizers produce is at least one byte of UTF-8, so
 * the bytes of the request body bound its text and the JSON framing around it (message
 * and role markers take fewer tokens than the JSON braces, quotes and keys that carry
 * them). Encrypted items sent back (reasoning and compaction `encrypted_content`,
 * Anthropic `redacted_thinking`) are taken to be no shorter than what they encrypt.
 * What the bytes do not bound is counted apart:
 * - an image part counts `imageInputTokens` (the model's price, else
 *   DEFAULT_IMAGE_INPUT_TOKENS) instead of the bytes of its payload (a data URL can be
 *   megabytes for ~1,500 tokens);
 * - the system prompt Anthropic adds when the request has tools, which is not in the
 *   request (ANTHROPIC_TOOL_PROMPT_TOKENS);
 * - files, documents and stored prompts expand to any number of tokens (PDF pages are
 *   text plus page images): the model's `contextWindow` is their only bound.
 * The result is capped at `contextWindow`: no prompt can be longer.
 *
 * Output tokens. The request's own bound per choice (which counts reasoning / thinking
 * tokens) times the choices; where the request sets none the engine injects one
 * (`outputField`, at most `maxOutputPerChoice`).
 *
 * Everything billed beyond tokens at list rates is `unbounded`: audio, built-in and
 * server tools (billed per call, and adding tokens the request does not show), web
 * search, predicted outputs, premium processing tiers (OpenAI `service_tier`
 * "priority"/"fast", Anthropic `speed: "fast"`, `inference_geo` other than "global"),
 * server-side compaction and MCP servers; on Gemini also audio input, image or audio
 * output (`responseModalities`, `speechConfig`) and every tool but function declarations
 * (Google Search grounding, code execution, URL context, Maps).
 */
import { ceilMicro, type ModelPrice } from './price-table.ts';

/** Where an output bound is set: a top-level field, or a field of an object (`generationConfig.maxOutputTokens`). */
export type OutputField =
  | 'max_completion_tokens'
  | 'max_tokens'
  | 'max_output_tokens'
  | 'generationConfig.maxOutputTokens';

export type RequestBound =
  | {
      kind: 'tokens';
      inputTokens: number;
      choices: number;
      requestedOutputPerChoice: number | undefined;
      outputField: OutputField | undefined;
      maxOutputPerChoice: number | undefined;
    }
  | { kind: 'fixed'; microUsd: number }
  | { kind: 'unbounded'; reason: string };

/**
 * Input tokens of one image part when the model's price does not say. The largest image
 * cost published for any model Mandate ships a price for: gpt-4o-mini, at high detail,
 * bills 2,833 + 8 tiles × 5,667 = 48,169 tokens for one image. Capped at `contextWindow`.
 */
export const DEFAULT_IMAGE_INPUT_TOKENS = 50_000;

/**
 * The system prompt Anthropic adds when a request defines tools (a few hundred tokens on
 * current models: 346 for `auto`/`none`, 313 for `any`/`tool` on Claude 4).
 */
export const ANTHROPIC_TOOL_PROMPT_TOKENS = 1_000;

/** Image output tokens each streamed partial image adds (gpt-image models). */
export const PARTIAL_IMAGE_OUTPUT_TOKENS = 100;

/** Parts whose tokens are set by the picture, not by the bytes of its payload. */
const IMAGE_PART_TYPES = new Set([
  'image_url', // OpenAI chat
  'input_image', // OpenAI Responses
  'image', // Anthropic
  'computer_screenshot', // OpenAI Responses, a computer-use screenshot sent back
  'image_generation_call', // OpenAI Responses, a generated image sent back
]);

/** Parts that expand upstream into tokens their bytes cannot bound. */
const FILE_PART_TYPES = new Set([
  'file', // OpenAI chat
  'input_file', // OpenAI Responses
  'document', // Anthropic
]);

/** Audio input is billed at audio rates, which the table does not hold. */
const AUDIO_PART_TYPES = new Set(['input_audio']);

/** OpenAI processing tiers billed at (or below) the standard list price. */
const STANDARD_SERVICE_TIERS = new Set(['auto', 'default', 'flex']);

/** The tool types that are plain definitions the app runs itself. */
const OPENAI_CLIENT_TOOL_TYPES = new Set(['function', 'custom']);

/** How deep the body is searched for parts; deeper nesting is no valid request. */
export const MAX_DEPTH = 64;

type Json = Record<string, unknown>;

const FREE: RequestBound = Object.freeze({ kind: 'fixed', microUsd: 0 });
export const unbounded = (reason: string): RequestBound => ({ kind: 'unbounded', reason });
const fixed = (microUsd: number): RequestBound => ({ kind: 'fixed', microUsd: ceilMicro(microUsd) });
export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
export const isSet = (value: unknown): boolean => value !== undefined && value !== null;
export const positiveInt = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : undefined;

/** What the body holds besides text: counted by one walk (iterative, so no depth can overflow the stack). */
interface BodyScan {
  images: number;
  /** Bytes of the images' payloads (data URLs, base64), which the images' tokens replace. */
  imagePayloadBytes: number;
  /** The first part that makes the bytes no bound, described for the refusal. */
  file: string | undefined;
  audio: boolean;
}

export function longestString(part: unknown): number {
  let longest = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value: part, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof value === 'string') longest = Math.max(longest, Buffer.byteLength(value));
    else if (typeof value === 'object' && value !== null && depth < MAX_DEPTH) {
      for (const inner of Object.values(value)) stack.push({ value: inner, depth: depth + 1 });
    }
  }
  return longest;
}

function scanBody(json: Json): BodyScan {
  const scan: BodyScan = { images: 0, imagePayloadBytes: 0, file: undefined, audio: false };
  const stack: Array<{ value: unknown; depth: number }> = [{ value: json, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) continue;
    const type = Array.isArray(value) ? undefined : (value as Json).type;
    if (typeof type === 'string') {
      if (IMAGE_PART_TYPES.has(type)) {
        scan.images += 1;
        scan.imagePayloadBytes += longestString(value);
        continue;
      }
      if (FILE_PART_TYPES.has(type)) scan.file ??= `a ${type} part`;
      if (AUDIO_PART_TYPES.has(type)) scan.audio = true;
    }
    for (const inner of Object.values(value)) {
      if (typeof inner === 'object' && inner !== null) stack.push({ value: inner, depth: depth + 1 });
    }
  }
  return scan;
}

/** An output bound as the request gives it: absent/null, a number of tokens, or invalid. */
export function readLimit(value: unknown): { ok: true; tokens: number | undefined } | { ok: false } {
  if (value === undefined || value === null) return { ok: true, tokens: undefined };
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) {
    return { ok: true, tokens: Math.ceil(value) };
  }
  return { ok: false };
}

export const badLimit = (field: string) => unbounded(`${field} must be a number of tokens`);

/** What a cost-bound reader of one endpoint sees (its endpoint spec names the reader). */
export interface BoundContext {
  json: Json;
  /** Whether the body was JSON (false for a multipart form, whose fields are not read). */
  hasJson: boolean;
  bodyBytes: number;
  price: ModelPrice;
  /** How reasons name the model. */
  name: string;
  /** The upstream path, for reasons. */
  path: string;
  /** The field an output bound is set in, from the endpoint spec (none: no output). */
  outputField: OutputField | undefined;
}

/** The bound of one endpoint's requests, for a model with a price. */
export type BoundReader = (ctx: BoundContext) => RequestBound;

type Context = BoundContext;

interface TokenShape {
  choices: number;
  requested: number | undefined;
  field: OutputField | undefined;
  /** Tokens the provider adds to this request that are not in its bytes. */
  overhead: number;
  /** Set when something of the request (besides its parts) is not in its bytes. */
  hidden?: string | undefined;
}

/** The bound of a token-priced request, from its body and the model's price. */
function tokenBound(ctx: Context, shape: TokenShape): RequestBound {
  const { price, name } = ctx;
  if (price.input === undefined) return unbounded(`model ${name} has no input token price`);
  if (price.output === undefined) return unbounded(`model ${name} has no output token price`);
  const scan = scanBody(ctx.json);
  if (scan.audio) return unbounded('audio input is not priced');
  const hidden = shape.hidden ?? scan.file;
  let inputTokens: number;
  if (hidden !== undefined) {
    if (price.contextWindow === undefined) {
      return unbounded(
        `${hidden} can hold more tokens than its bytes, and model ${name} has no contextWindow to bound them`,
      );
    }
    inputTokens = price.contextWindow;
  } else {
    const perImage = price.imageInputTokens ?? DEFAULT_IMAGE_INPUT_TOKENS;
    const textBytes = Math.max(0, ctx.bodyBytes - scan.imagePayloadBytes);
    inputTokens = textBytes + shape.overhead + scan.images * perImage;
    if (price.contextWindow !== undefined) inputTokens = Math.min(inputTokens, price.contextWindow);
  }
  return {
    kind: 'tokens',
    inputTokens,
    choices: shape.choices,
    requestedOutputPerChoice: shape.requested,
    outputField: shape.field,
    maxOutputPerChoice: price.maxOutputTokens,
  };
}

function serviceTierProblem(json: Json): RequestBound | undefined {
  const tier = json.service_tier;
  if (!isSet(tier) || (typeof tier === 'string' && STANDARD_SERVICE_TIERS.has(tier))) return undefined;
  return unbounded(`service_tier ${JSON.stringify(tier)} is billed above the standard prices`);
}

function openaiToolProblem(json: Json): RequestBound | undefined {
  if (!Array.isArray(json.tools)) return undefined;
  for (const tool of json.tools) {
    const type = isObject(tool) ? tool.type : undefined;
    if (typeof type === 'string' && !OPENAI_CLIENT_TOOL_TYPES.has(type)) {
      return unbounded(`the built-in tool ${type} is billed per call and adds tokens Mandate cannot bound`);
    }
  }
  return undefined;
}

/** OpenAI `/v1/chat/completions`. */
export function boundChatCompletions(ctx: Context): RequestBound {
  const { json } = ctx;
  const modalities = json.modalities;
  if ((Array.isArray(modalities) && modalities.includes('audio')) || isSet(json.audio)) {
    return unbounded('audio output is not priced');
  }
  if (isSet(json.web_search_options)) return unbounded('web search is billed per call');
  if (isSet(json.prediction)) {
    return unbounded('predicted outputs bill rejected prediction tokens beyond the output bound');
  }
  const problem = serviceTierProblem(json) ?? openaiToolProblem(json);
  if (problem) return problem;
  const completion = readLimit(json.max_completion_tokens);
  if (!completion.ok) return badLimit('max_completion_tokens');
  const legacy = readLimit(json.max_tokens);
  if (!legacy.ok) return badLimit('max_tokens');
  // Both set is for the upstream to refuse; should it not, the larger one holds.
  const requested =
    completion.tokens !== undefined && legacy.tokens !== undefined
      ? Math.max(completion.tokens, legacy.tokens)
      : (completion.tokens ?? legacy.tokens);
  // The deprecated max_tokens, when it is the only bound set, is the one lowered.
  const field: OutputField | undefined =
    isSet(json.max_tokens) && !isSet(json.max_completion_tokens) ? 'max_tokens' : ctx.outputField;
  // An invalid n is for the upstream to refuse (it then generates nothing).
  const choices = positiveInt(json.n) ?? 1;
  return tokenBound(ctx, { choices, requested, field, overhead: 0 });
}

/** OpenAI `/v1/responses`. */
export function boundResponses(ctx: Context): RequestBound {
  const { json } = ctx;
  const problem = serviceTierProblem(json) ?? openaiToolProblem(json);
  if (problem) return problem;
  if (Array.isArray(json.context_management) && json.context_management.length > 0) {
    return unbounded('server-side compaction (context_management) runs model calls Mandate cannot bound');
  }
  const limit = readLimit(json.max_output_tokens);
  if (!limit.ok) return badLimit('max_output_tokens');
  // Stored state is refused before this (stored-state policy); were it not, it is input
  // the request's bytes do not show.
  const hidden = isSet(json.prompt)
    ? 'a stored prompt (prompt)'
    : isSet(json.previous_response_id)
      ? 'a previous response (previous_response_id)'
      : isSet(json.conversation)
        ? 'a conversation (conversation)'
        : undefined;
  return tokenBound(ctx, {
    choices: 1,
    requested: limit.tokens,
    field: ctx.outputField,
    overhead: 0,
    hidden,
  });
}

/** Anthropic `/v1/messages`. */
export function boundMessages(ctx: Context): RequestBound {
  const { json } = ctx;
  const tools = Array.isArray(json.tools) ? json.tools : [];
  for (const tool of tools) {
    const type = isObject(tool) ? tool.type : undefined;
    if (isSet(type) && type !== 'custom') {
      return unbounded(`the tool type ${String(type)} is billed per use or adds tokens Mandate cannot bound`);
    }
  }
  if (Array.isArray(json.mcp_servers) && json.mcp_servers.length > 0) {
    return unbounded('MCP servers add tools and tokens Mandate cannot bound');
  }
  if (isSet(json.speed) && json.speed !== 'standard') {
    return unbounded(`speed ${JSON.stringify(json.speed)} is billed above the standard prices`);
  }
  if (isSet(json.inference_geo) && json.inference_geo !== 'global') {
    return unbounded(
      `inference_geo ${JSON.stringify(json.inference_geo)} is billed above the standard prices`,
    );
  }
  const edits = isObject(json.context_management) ? json.context_management.edits : undefined;
  if (
    Array.isArray(edits) &&
    edits.some((edit) => isObject(edit) && typeof edit.type === 'string' && edit.type.startsWith('compact'))
  ) {
    return unbounded('compaction (context_management) runs model calls Mandate cannot bound');
  }
  const limit = readLimit(json.max_tokens);
  if (!limit.ok) return badLimit('max_tokens');
  const overhead = tools.length > 0 ? ANTHROPIC_TOOL_PROMPT_TOKENS : 0;
  return tokenBound(ctx, { choices: 1, requested: limit.tokens, field: ctx.outputField, overhead });
}

/** OpenAI `/v1/embeddings`: input only, all of it in the bytes (strings or token ids). */
export function boundEmbeddings(ctx: Context): RequestBound {
  const { price, name } = ctx;
  if (price.input === undefined) return unbounded(`model ${name} has no input token price`);
  // Not capped at contextWindow: that is per input, and one request may embed many.
  return {
    kind: 'tokens',
    inputTokens: ctx.bodyBytes,
    choices: 1,
    requestedOutputPerChoice: 0,
    outputField: undefined,
    maxOutputPerChoice: 0,
  };
}

/** A per-request price, where the model has one. */
function perRequest(price: ModelPrice, reason: string): RequestBound {
  return price.perRequest !== undefined ? fixed(price.perRequest * 1e6) : unbounded(reason);
}

/**
 * OpenAI `/v1/images/generations`: the price of an image of the asked size at the most
 * expensive quality, times n; plus the prompt at the text input rate, and the output
 * tokens of streamed partial images, where the model bills them.
 */
export function boundImageGenerations(ctx: Context): RequestBound {
  const { json, price, name } = ctx;
  if (!ctx.hasJson) return boundImageEdit(ctx);
  const sizes = price.perImage ?? {};
  const prices = Object.values(sizes);
  if (prices.length === 0) return perRequest(price, `model ${name} has no price per image`);
  const size = json.size;
  let each: number;
  if (!isSet(size) || size === 'auto') each = Math.max(...prices);
  else if (typeof size === 'string' && Object.hasOwn(sizes, size)) each = sizes[size] as number;
  else return unbounded(`size ${JSON.stringify(size)} has no price for model ${name}`);
  const n = positiveInt(json.n) ?? 1;
  let microUsd = each * n * 1e6;
  if (price.input !== undefined) microUsd += ctx.bodyBytes * price.input;
  const partials = positiveInt(json.partial_images);
  if (partials !== undefined && price.output !== undefined) {
    microUsd += n * partials * PARTIAL_IMAGE_OUTPUT_TOKENS * price.output;
  }
  return fixed(microUsd);
}

/**
 * OpenAI image edits and variations (multipart): their input images are billed too, and
 * n is not read, so only a price per request bounds them.
 */
export function boundImageEdit(ctx: Context): RequestBound {
  return perRequest(ctx.price, `${ctx.path} is not priced for model ${ctx.name} (no perRequest price)`);
}

/** Endpoints priced per request only (audio): the model's price per request, where it has one. */
export function boundPerRequest(ctx: Context): RequestBound {
  return perRequest(ctx.price, `${ctx.path} is not priced for model ${ctx.name}`);
}

/** Free endpoints (listings, moderations, token counting). */
export const FREE_BOUND: RequestBound = FREE;

/** The bound of a request that names no priced model. */
export function unpricedBound(model: string | undefined): RequestBound {
  return unbounded(
    model === undefined ? 'the request names no model to price' : `no price for model ${model}`,
  );
}

/**
 * Sets the output bound on the request body in place (the field the bound names, or a
 * field of an object for a dotted name). On
 * chat completions the deprecated `max_tokens`, when the request also sets it, is
 * lowered with `max_completion_tokens` (and the other way round), so neither can let
 * more through.
 */
export function setOutputBound(json: Record<string, unknown>, field: OutputField, perChoice: number): void {
  if (!Number.isInteger(perChoice) || perChoice < 0) {
    throw new RangeError(`an output bound is a whole number of tokens, not ${perChoice}`);
  }
  const dot = field.indexOf('.');
  if (dot !== -1) {
    // A field of an object (Gemini's generationConfig), created when the request has none.
    const outer = field.slice(0, dot);
    const inner = json[outer];
    const target = isObject(inner) ? inner : {};
    target[field.slice(dot + 1)] = perChoice;
    json[outer] = target;
    return;
  }
  json[field] = perChoice;
  if (field === 'max_completion_tokens' && typeof json.max_tokens === 'number') json.max_tokens = perChoice;
  // OpenAI-compatible chat completions set max_tokens: a max_completion_tokens beside it is lowered too.
  if (field === 'max_tokens' && typeof json.max_completion_tokens === 'number')
    json.max_completion_tokens = perChoice;
}
