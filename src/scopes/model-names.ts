/**
 * Display names for well-known model ids, for the consent page only. Exact ids; any id
 * not listed is shown as it is, so a missing entry is never wrong, only less pretty.
 */
const MODEL_NAMES: ReadonlyMap<string, string> = new Map([
  ['gpt-4o', 'GPT-4o'],
  ['gpt-4o-mini', 'GPT-4o mini'],
  ['gpt-4.1', 'GPT-4.1'],
  ['gpt-4.1-mini', 'GPT-4.1 mini'],
  ['gpt-4.1-nano', 'GPT-4.1 nano'],
  ['gpt-5', 'GPT-5'],
  ['gpt-5-mini', 'GPT-5 mini'],
  ['gpt-5-nano', 'GPT-5 nano'],
  ['claude-opus-4-1', 'Claude Opus 4.1'],
  ['claude-sonnet-4-5', 'Claude Sonnet 4.5'],
  ['claude-haiku-4-5', 'Claude Haiku 4.5'],
  ['gemini-2.5-pro', 'Gemini 2.5 Pro'],
  ['gemini-2.5-flash', 'Gemini 2.5 Flash'],
  ['gemini-2.5-flash-lite', 'Gemini 2.5 Flash-Lite'],
  ['gemini-2.0-flash', 'Gemini 2.0 Flash'],
  ['gemini-embedding-001', 'Gemini Embedding'],
]);

/** Plain name for a model id: `GPT-4o mini`, `fine-tuned model ft:…`, or the id itself. */
export function modelDisplayName(model: string): string {
  const known = MODEL_NAMES.get(model);
  if (known !== undefined) return known;
  if (model.startsWith('ft:')) return `fine-tuned model ${model}`;
  return model;
}
