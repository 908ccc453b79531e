import { deepFreeze } from '../shared/deep-freeze.ts';
import type { Provider } from './providers.ts';

/**
 * The one table of what each capability lets a token do upstream, per provider.
 *
 * - Paths are relative to the provider's base URL and start with `/v1/`.
 * - `{model}` stands for exactly one path segment holding a model id.
 * - Anything not listed here is denied. In particular, nothing that reads, lists or
 *   deletes state stored upstream (stored responses and chat completions, files,
 *   fine-tunes, batches, vector stores, assistants, threads) is listed: apps sharing one
 *   person's key must not reach each other's data.
 */
export type UpstreamRoute = { readonly method: 'GET' | 'POST'; readonly path: string };

export const MODEL_SEGMENT = '{model}';

export const CAPABILITY_TABLE = deepFreeze({
  openai: {
    chat: [
      { method: 'POST', path: '/v1/chat/completions' },
      { method: 'POST', path: '/v1/responses' },
    ],
    embeddings: [{ method: 'POST', path: '/v1/embeddings' }],
    images: [
      { method: 'POST', path: '/v1/images/generations' },
      { method: 'POST', path: '/v1/images/edits' },
      { method: 'POST', path: '/v1/images/variations' },
    ],
    audio: [
      { method: 'POST', path: '/v1/audio/speech' },
      { method: 'POST', path: '/v1/audio/transcriptions' },
      { method: 'POST', path: '/v1/audio/translations' },
    ],
    moderations: [{ method: 'POST', path: '/v1/moderations' }],
    models: [
      { method: 'GET', path: '/v1/models' },
      { method: 'GET', path: '/v1/models/{model}' },
    ],
  },
  anthropic: {
    chat: [
      { method: 'POST', path: '/v1/messages' },
      { method: 'POST', path: '/v1/messages/count_tokens' },
    ],
    models: [
      { method: 'GET', path: '/v1/models' },
      { method: 'GET', path: '/v1/models/{model}' },
    ],
  },
} as const satisfies Readonly<Record<Provider, Readonly<Record<string, readonly UpstreamRoute[]>>>>);

export type Capability = {
  [P in Provider]: keyof (typeof CAPABILITY_TABLE)[P];
}[Provider];

/** Every capability any provider offers, in table order, without duplicates. */
export const CAPABILITIES: readonly Capability[] = Object.freeze([
  ...new Set(Object.values(CAPABILITY_TABLE).flatMap((caps) => Object.keys(caps) as Capability[])),
]);

export function isCapability(value: string): value is Capability {
  return (CAPABILITIES as readonly string[]).includes(value);
}

/** The capabilities offered for a provider, in table order. */
export function capabilitiesFor(provider: Provider): readonly Capability[] {
  return Object.keys(CAPABILITY_TABLE[provider]) as Capability[];
}

export function isCapabilityOffered(provider: Provider, capability: string): capability is Capability {
  return Object.hasOwn(CAPABILITY_TABLE[provider], capability);
}
