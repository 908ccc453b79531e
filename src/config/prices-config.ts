import { z } from 'zod';

/**
 * The `prices` setting: the shipped table (default-prices.ts) with the operator's
 * entries over it. An entry names one model of one provider and REPLACES the shipped
 * entry for that model whole (a field left out takes its documented default, it is not
 * kept from the shipped entry); `null` removes a shipped model. Other models keep the
 * shipped prices, so a config file lists only what it changes. docs/prices.md.
 */

const usdPerMillion = z.number().min(0, 'must be 0 or more (USD per million tokens)');
const usd = z.number().min(0, 'must be 0 or more (USD)');
const tokens = z.number().int('must be a whole number of tokens').min(1, 'must be at least 1 token');

const longContextSchema = z.strictObject({
  aboveInputTokens: tokens,
  input: usdPerMillion,
  cachedInput: usdPerMillion.optional(),
  cacheWrite: usdPerMillion.optional(),
  output: usdPerMillion.optional(),
});

const modelPriceSchema = z.strictObject({
  input: usdPerMillion.optional(),
  cachedInput: usdPerMillion.optional(),
  cacheWrite: usdPerMillion.optional(),
  output: usdPerMillion.optional(),
  contextWindow: tokens.optional(),
  maxOutputTokens: tokens.optional(),
  imageInputTokens: z.number().int('must be a whole number of tokens').min(0).optional(),
  perImage: z
    .record(z.string().regex(/^\d+x\d+$/), usd, {
      error: (issue) => (issue.code === 'invalid_key' ? 'is not an image size such as 1024x1024' : undefined),
    })
    .optional(),
  perRequest: usd.optional(),
  longContext: longContextSchema.optional(),
});

/** Model ids as providers spell them (also fine-tuned ids such as `ft:gpt-4o-mini:org::id`). */
const modelId = z
  .string()
  .max(256)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/);

/** One provider's entries: model id → price (`null` removes a shipped model). */
export const providerPrices = z
  .record(modelId, modelPriceSchema.nullable(), {
    error: (issue) => (issue.code === 'invalid_key' ? 'is not a model id' : undefined),
  })
  .transform((entries) =>
    Object.fromEntries(
      Object.entries(entries).filter(
        (entry): entry is [string, z.infer<typeof modelPriceSchema>] => entry[1] !== null,
      ),
    ),
  );

/**
 * The built-ins' tables, and one per configured OpenAI-compatible provider
 * (`prices.<id>`, over the prices its `providers.compatible` entry gives); the schema
 * checks that every other key names a configured provider.
 */
export const pricesSchema = z
  .object({
    openai: providerPrices,
    anthropic: providerPrices,
    google: providerPrices,
  })
  .catchall(providerPrices);

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * After a layer (`over`) is deep-merged onto `merged`: puts back each model entry of the
 * layer as it is, so it replaces the entry below instead of merging into it.
 */
export function replaceModelPrices(merged: Plain, over: Plain): Plain {
  if (!isPlain(over.prices) || !isPlain(merged.prices)) return merged;
  const prices: Plain = { ...merged.prices };
  for (const [provider, models] of Object.entries(over.prices)) {
    if (!isPlain(models) || !isPlain(prices[provider])) continue;
    const entries: Plain = { ...prices[provider] };
    for (const [model, entry] of Object.entries(models)) {
      // defineProperty: a key such as `__proto__` stays a key (and the schema refuses it).
      if (entry !== undefined) Object.defineProperty(entries, model, { value: entry, enumerable: true });
    }
    prices[provider] = entries;
  }
  return { ...merged, prices };
}
