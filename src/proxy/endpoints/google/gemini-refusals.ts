import { ProxyError } from '../../errors/proxy-error.ts';

/**
 * Refusals of Gemini request bodies, before anything is reserved. Google's JSON parser
 * (proto3) takes a field by its camelCase name and by its proto name in snake_case, so
 * what the proxy reads (`generationConfig`) and what Google reads must not differ: the
 * snake_case names of every field decided on are refused.
 */

type Json = Record<string, unknown>;

/** snake_case aliases of the fields the proxy reads, refused anywhere in a body. */
const SNAKE_CASE_ALIASES = new Set([
  'generation_config',
  'max_output_tokens',
  'candidate_count',
  'response_modalities',
  'speech_config',
  'thinking_config',
  'cached_content',
  'inline_data',
  'mime_type',
  'file_data',
  'file_uri',
  'function_declarations',
  'file_search',
  'generate_content_request',
  'system_instruction',
]);

/** Tools that read data stored on the person's account (file search stores, corpora). */
const STORED_STATE_TOOLS = ['fileSearch', 'retrieval'];

const storedState = (what: string) =>
  new ProxyError(
    'stored_state_denied',
    `${what} refers to data stored on the person's account, which apps may not reach through Mandate`,
  );

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Calls `visit` on every object in the body, depth first (JSON depth is capped at 64 before this runs). */
function forEachObject(value: unknown, visit: (object: Json) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) forEachObject(item, visit);
  } else if (isObject(value)) {
    visit(value);
    for (const key in value) forEachObject(value[key], visit);
  }
}

/** A file URI of the Files API (`files/…`, or under generativelanguage.googleapis.com). */
function isStoredFile(uri: unknown): boolean {
  if (typeof uri !== 'string') return false;
  if (uri.startsWith('files/')) return true;
  try {
    return new URL(uri).hostname.endsWith('generativelanguage.googleapis.com');
  } catch {
    return false;
  }
}

/** The snake_case name of a decided field: 400, so both readings cannot differ. */
function snakeCaseRefusal(object: Json): ProxyError | undefined {
  for (const key in object) {
    if (SNAKE_CASE_ALIASES.has(key)) {
      return new ProxyError(
        'invalid_request',
        `${key}: Mandate reads Gemini's camelCase field names; send this field in camelCase`,
      );
    }
  }
  return undefined;
}

/**
 * A reference to stored state in one object: `cachedContent` (an explicit context cache)
 * or a `fileData` part naming an uploaded file.
 */
function storedStateRefusal(object: Json): ProxyError | undefined {
  if (object.cachedContent !== undefined && object.cachedContent !== null)
    return storedState('cachedContent');
  if (isObject(object.fileData) && isStoredFile(object.fileData.fileUri)) return storedState('fileData');
  if (isObject(object.fileData) && object.fileData.fileUri === undefined)
    return new ProxyError('invalid_request', 'fileData must have a fileUri');
  return undefined;
}

/**
 * One walk of the body for both field refusals: snake_case names of decided fields
 * anywhere (checked first: that error wins wherever it is), then references to stored
 * state (the first found), then the file-search and retrieval tools.
 */
export function refuseGeminiFields(json: Json): void {
  let stored: ProxyError | undefined;
  forEachObject(json, (object) => {
    const snake = snakeCaseRefusal(object);
    if (snake) throw snake;
    stored ??= storedStateRefusal(object);
  });
  if (stored) throw stored;
  const tools = Array.isArray(json.tools) ? json.tools : [];
  const nested = isObject(json.generateContentRequest) ? json.generateContentRequest.tools : undefined;
  for (const tool of [...tools, ...(Array.isArray(nested) ? nested : [])]) {
    const found = isObject(tool) ? STORED_STATE_TOOLS.find((name) => tool[name] !== undefined) : undefined;
    if (found) throw storedState(`the ${found} tool`);
  }
}

/**
 * A model named in the body (`model`, `generateContentRequest.model`, each of
 * `requests[].model`) must be the path's, which is the one checked against the scopes.
 */
export function refuseOtherModel(json: Json, model: string): void {
  const named: unknown[] = [json.model];
  if (isObject(json.generateContentRequest)) named.push(json.generateContentRequest.model);
  if (Array.isArray(json.requests)) {
    for (const request of json.requests) if (isObject(request)) named.push(request.model);
  }
  for (const value of named) {
    if (value === undefined || value === null) continue;
    if (value !== `models/${model}` && value !== model) {
      throw new ProxyError(
        'invalid_request',
        `the body names another model than the path (models/${model}); Mandate checks the path's`,
      );
    }
  }
}

/**
 * A stream of several candidates finishes candidate by candidate, so no chunk is surely
 * the last: streams of one candidate only.
 */
export function refuseManyStreamedCandidates(json: Json): void {
  const config = isObject(json.generationConfig) ? json.generationConfig : undefined;
  const count = config?.candidateCount;
  if (typeof count === 'number' && count > 1) {
    throw new ProxyError(
      'invalid_request',
      'generationConfig.candidateCount above 1 is not streamed through Mandate; use generateContent',
    );
  }
}
