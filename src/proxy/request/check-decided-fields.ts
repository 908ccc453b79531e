/**
 * The fields the proxy decides on (the scope, the stored-state policy, the cost bound and
 * the usage it asks for) must have the type the proxy read them as: otherwise the proxy
 * decides on one reading and the provider, which may coerce (`"n": "3"` is three choices
 * to a lenient parser), acts on another. Each field below, when present and not null
 * (null is "unset" in the providers' APIs and to every check here), must be:
 * - `model`: a string (also checked where the body is parsed);
 * - `n`, `max_tokens`, `max_completion_tokens`, `max_output_tokens`,
 *   `thinking.budget_tokens`: a safe integer of at least 1; `partial_images`: at least 0;
 * - `stream`, `store`, `background`, `stream_options.include_usage`: a boolean;
 * - `stream_options`, `thinking`: an object; `thinking.type`: a string;
 * - `tools`: an array of objects whose `type`, if any, is a string;
 * - `service_tier`: a string; on OpenAI images `size` and `quality`, on Anthropic `speed`
 *   and `inference_geo`: strings;
 * - on OpenAI `modalities`: an array of strings, and `context_management` an array; on
 *   Anthropic `mcp_servers` an array, and `context_management` an object whose `edits`
 *   is an array of objects with a string `type`.
 * Pure: refuses with 400 `invalid_request` naming the field, or returns.
 */
import { ProxyError } from '../errors/proxy-error.ts';

type Json = Record<string, unknown>;
type Rule = { test: (value: unknown) => boolean; what: string };

/**
 * The type rules of one set of decided fields: top-level fields, and fields inside an
 * object-valued field. The endpoint table says which sets apply where (every endpoint,
 * the provider's, the endpoint's own).
 */
export interface FieldRules {
  readonly fields: Readonly<Record<string, Rule>>;
  readonly nested?: Readonly<Record<string, Readonly<Record<string, Rule>>>>;
}

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const count = (min: number): Rule => ({
  test: (value) => typeof value === 'number' && Number.isSafeInteger(value) && value >= min,
  what: `a whole number of at least ${min}`,
});
const BOOLEAN: Rule = { test: (value) => typeof value === 'boolean', what: 'true or false' };
const STRING: Rule = { test: (value) => typeof value === 'string', what: 'a string' };
const OBJECT: Rule = { test: isObject, what: 'an object' };
const ARRAY: Rule = { test: Array.isArray, what: 'an array' };
const STRINGS: Rule = {
  test: (value) => Array.isArray(value) && value.every((item) => typeof item === 'string'),
  what: 'an array of strings',
};
const TYPED_OBJECTS: Rule = {
  test: (value) =>
    Array.isArray(value) &&
    value.every((item) => isObject(item) && (item.type === undefined || typeof item.type === 'string')),
  what: 'an array of objects whose type is a string',
};

const COMMON_FIELDS: Record<string, Rule> = {
  model: STRING,
  n: count(1),
  max_tokens: count(1),
  max_completion_tokens: count(1),
  max_output_tokens: count(1),
  partial_images: count(0),
  stream: BOOLEAN,
  store: BOOLEAN,
  background: BOOLEAN,
  stream_options: OBJECT,
  thinking: OBJECT,
  tools: TYPED_OBJECTS,
  service_tier: STRING,
};
const COMMON_NESTED: Record<string, Record<string, Rule>> = {
  stream_options: { include_usage: BOOLEAN },
  thinking: { type: STRING, budget_tokens: count(1) },
};
const OPENAI_FIELDS: Record<string, Rule> = { modalities: STRINGS, context_management: ARRAY };
const OPENAI_IMAGE_FIELDS: Record<string, Rule> = { size: STRING, quality: STRING };
const ANTHROPIC_FIELDS: Record<string, Rule> = {
  speed: STRING,
  inference_geo: STRING,
  mcp_servers: ARRAY,
  context_management: OBJECT,
};
const ANTHROPIC_NESTED: Record<string, Record<string, Rule>> = {
  context_management: { edits: TYPED_OBJECTS },
};

/** How a refusal shows the value: its type, or a short number (never a long string). */
function shown(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value.length <= 16 ? JSON.stringify(value) : 'a string';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : String(value);
}

function check(json: Json, rules: Record<string, Rule>, prefix = ''): void {
  for (const [field, rule] of Object.entries(rules)) {
    const value = json[field];
    if (value === undefined || value === null || rule.test(value)) continue;
    throw new ProxyError('invalid_request', `${prefix}${field} must be ${rule.what}, not ${shown(value)}`);
  }
}

function checkNested(json: Json, nested: Record<string, Record<string, Rule>>): void {
  for (const [field, rules] of Object.entries(nested)) {
    const inner = json[field];
    if (isObject(inner)) check(inner, rules, `${field}.`);
  }
}

/** Fields every endpoint decides on. */
export const COMMON_RULES: FieldRules = { fields: COMMON_FIELDS, nested: COMMON_NESTED };
export const OPENAI_RULES: FieldRules = { fields: OPENAI_FIELDS };
export const OPENAI_IMAGE_RULES: FieldRules = { fields: OPENAI_IMAGE_FIELDS };
export const ANTHROPIC_RULES: FieldRules = { fields: ANTHROPIC_FIELDS, nested: ANTHROPIC_NESTED };

/** Checks a JSON body against each set of rules, in order. */
export function checkDecidedFields(json: Json | undefined, rules: readonly FieldRules[]): void {
  if (!json) return;
  for (const set of rules) {
    check(json, set.fields);
    if (set.nested) checkNested(json, set.nested);
  }
}
