import { z } from 'zod';
import { COMPATIBLE_ENDPOINT_NAMES, isCompatibleEndpoint } from '../scopes/compatible-endpoints.ts';
import { BUILTIN_PROVIDERS } from '../scopes/providers.ts';
import { providerPrices } from './prices-config.ts';

/**
 * One OpenAI-compatible provider as the operator declares it (`providers.compatible[]`)
 * or as a preset ships it (provider-presets.ts). docs/configuration.md.
 */

const isBuiltin = (id: string) => (BUILTIN_PROVIDERS as readonly string[]).includes(id);

/** The first segment of its scopes and of its proxy paths (`/<id>/v1/…`). */
export const compatibleProviderId = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,31}$/,
    'a provider id: lowercase letters, digits and -, starting with a letter, at most 32 characters',
  )
  .refine((id) => !isBuiltin(id), {
    error: (issue) => `${String(issue.input)} is a built-in provider; choose another id`,
  });

export const compatibleProviderSchema = z.strictObject({
  id: compatibleProviderId,
  /** How pages and messages name it ("Mistral AI"). */
  name: z.string().trim().min(1).max(64),
  /** What its documentation gives the OpenAI SDK as `baseURL` (it ends with the API version, e.g. `/v1`). */
  baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).refine((value) => {
    const url = new URL(value);
    return url.search === '' && url.hash === '' && url.username === '' && url.password === '';
  }, 'must have no query, fragment or credentials'),
  /**
   * The header the person's key goes upstream in: `authorization` (as `Bearer <key>`),
   * `api-key` or an `x-…` header (`x-api-key`), the key as it is.
   */
  keyHeader: z
    .string()
    .regex(/^(authorization|api-key|x-[a-z0-9-]+)$/, 'authorization, api-key or a lowercase x-… header name')
    .default('authorization'),
  /** How its API keys start, checked when a person stores one ('' when they have no fixed prefix). */
  keyPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, 'letters, digits, - and _ only')
    .default(''),
  /** The OpenAI endpoints it serves, by their path under /v1/. */
  endpoints: z
    .array(
      z.string().refine(isCompatibleEndpoint, {
        error: (issue) =>
          `${JSON.stringify(issue.input)} is not an OpenAI endpoint Mandate forwards (one of ${COMPATIBLE_ENDPOINT_NAMES.join(', ')})`,
      }),
    )
    .min(1, 'name at least one endpoint')
    .refine((list) => new Set(list).size === list.length, 'lists an endpoint twice')
    .transform((list) => list.filter(isCompatibleEndpoint)),
  /**
   * Chat streams: ask for the usage chunk (`stream_options.include_usage`) as for OpenAI;
   * false for a provider that sends usage on its last chunk unasked and refuses the field.
   */
  streamUsage: z.boolean().default(true),
  /** What its models cost, as in `prices.<provider>` (docs/prices.md); `prices.<id>` entries win. */
  prices: providerPrices.default({}),
});

export type CompatibleProviderEntry = z.output<typeof compatibleProviderSchema>;
