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

/** Every object in the body (JSON depth is capped at 64 before this runs). */
function* objects(value: unknown): Generator<Json> {
  if (Array.isArray(value)) {
    for (const item of value) yield* objects(item);
  } else if (isObject(value)) {
    yield value;
    for (const inner of Object.values(value)) yield* objects(inner);
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

/** snake_case names of decided fields: 400, so both readings cannot differ. */
export function refuseSnakeCaseFields(json: Json): void {
  for (const object of objects(json)) {
    for (const key of Object.keys(object)) {
      if (SNAKE_CASE_ALIASES.has(key)) {
        throw new ProxyError(
          'invalid_request',
          `${key}: Mandate reads Gemini's camelCase field names; send this field in camelCase`,
        );
      }
    }
  }
}

/**
 * References to stored state: `cachedContent` (an explicit context cache), a `fileData`
 * part naming an uploaded file, and the file-search and retrieval tools.
 */
export function refuseGeminiStoredState(json: Json): void {
  for (const object of objects(json)) {
    if (object.cachedContent !== undefined && object.cachedContent !== null)
      throw storedState('cachedContent');
    if (isObject(object.fileData) && isStoredFile(object.fileData.fileUri)) throw storedState('fileData');
    if (isObject(object.fileData) && object.fileData.fileUri === undefined) {
      throw new ProxyError('invalid_request', 'fileData must have a fileUri');
    }
  }
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
