import { deepFreeze } from '../shared/deep-freeze.ts';
import type { Provider } from './providers.ts';

/**
 * The capabilities a scope can name, per provider (`provider:model:capability`). What
 * each lets a token do upstream, endpoint by endpoint, is the proxy's endpoint table
 * (`src/proxy/endpoints/`): anything it does not list is denied. In particular nothing
 * that reads, lists or deletes state stored upstream (stored responses and chat
 * completions, files, fine-tunes, batches, vector stores, assistants, threads) is
 * listed: apps sharing one person's key must not reach each other's data.
 */
export const CAPABILITY_TABLE = deepFreeze({
  openai: ['chat', 'embeddings', 'images', 'audio', 'moderations', 'models'],
  anthropic: ['chat', 'models'],
  google: ['chat', 'embeddings', 'models'],
} as const satisfies Readonly<Record<Provider, readonly string[]>>);

export type Capability = (typeof CAPABILITY_TABLE)[Provider][number];

/** Every capability any provider offers, in table order, without duplicates. */
export const CAPABILITIES: readonly Capability[] = Object.freeze([
  ...new Set<Capability>(Object.values(CAPABILITY_TABLE).flat()),
]);

export function isCapability(value: string): value is Capability {
  return (CAPABILITIES as readonly string[]).includes(value);
}

/** The capabilities offered for a provider, in table order. */
export function capabilitiesFor(provider: Provider): readonly Capability[] {
  return CAPABILITY_TABLE[provider];
}

export function isCapabilityOffered(provider: Provider, capability: string): capability is Capability {
  return (CAPABILITY_TABLE[provider] as readonly string[]).includes(capability);
}
