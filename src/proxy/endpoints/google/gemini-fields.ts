import type { FieldRules } from '../../request/check-decided-fields.ts';

/**
 * The Gemini fields the proxy decides on, which must have the type it read them as
 * (Google's JSON parser reads `"maxOutputTokens": "9999"` as a number): the model (a
 * string), `generationConfig` an object whose `maxOutputTokens` and `candidateCount` are
 * whole numbers of at least 1, `responseModalities` an array of strings, `speechConfig`
 * and `thinkingConfig` objects; `tools` an array of objects; `cachedContent` a string.
 */
const isObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
const OBJECT = { test: isObject, what: 'an object' };
const STRING = { test: (value: unknown) => typeof value === 'string', what: 'a string' };
const COUNT = {
  test: (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 1,
  what: 'a whole number of at least 1',
};
const STRINGS = {
  test: (value: unknown) => Array.isArray(value) && value.every((item) => typeof item === 'string'),
  what: 'an array of strings',
};
const OBJECTS = {
  test: (value: unknown) => Array.isArray(value) && value.every(isObject),
  what: 'an array of objects',
};

export const GEMINI_RULES: FieldRules = Object.freeze({
  fields: {
    model: STRING,
    generationConfig: OBJECT,
    tools: OBJECTS,
    cachedContent: STRING,
    generateContentRequest: OBJECT,
    requests: OBJECTS,
  },
  nested: {
    generationConfig: {
      maxOutputTokens: COUNT,
      candidateCount: COUNT,
      responseModalities: STRINGS,
      speechConfig: OBJECT,
      thinkingConfig: OBJECT,
    },
  },
});
