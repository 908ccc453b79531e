import { type Provider, type ProviderRegistry, providerRegistry } from './providers.ts';

/**
 * Every capability a scope can name (`provider:model:capability`), in table order; each
 * provider offers some of them (`ProviderInfo.capabilities`). What each lets a token do
 * upstream, endpoint by endpoint, is the proxy's endpoint table (`src/proxy/endpoints/`):
 * anything it does not list is denied. In particular nothing that reads, lists or
 * deletes state stored upstream (stored responses and chat completions, files,
 * fine-tunes, batches, vector stores, assistants, threads) is listed: apps sharing one
 * person's key must not reach each other's data.
 */
export const CAPABILITIES = Object.freeze([
  'chat',
  'embeddings',
  'images',
  'audio',
  'moderations',
  'models',
] as const);

export type Capability = (typeof CAPABILITIES)[number];

export function isCapability(value: string): value is Capability {
  return (CAPABILITIES as readonly string[]).includes(value);
}

/** The capabilities offered for a provider, in table order (none for an unknown one). */
export function capabilitiesFor(
  provider: Provider,
  registry: ProviderRegistry = providerRegistry(),
): readonly Capability[] {
  return registry.info(provider)?.capabilities ?? [];
}

export function isCapabilityOffered(
  provider: Provider,
  capability: string,
  registry: ProviderRegistry = providerRegistry(),
): capability is Capability {
  return (capabilitiesFor(provider, registry) as readonly string[]).includes(capability);
}
