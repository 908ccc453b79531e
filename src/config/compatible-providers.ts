import type { PriceTable } from '../proxy/limits/price-table.ts';
import { CAPABILITIES } from '../scopes/capability-table.ts';
import { COMPATIBLE_ENDPOINTS, type CompatibleEndpoint } from '../scopes/compatible-endpoints.ts';
import { createProviderRegistry, type ProviderRegistry } from '../scopes/providers.ts';
import type { CompatibleProviderEntry } from './compatible-provider-schema.ts';
import { PROVIDER_PRESETS } from './provider-presets.ts';

/** An OpenAI-compatible provider of this installation, resolved from its preset or entry. */
export interface CompatibleProvider {
  readonly id: string;
  readonly name: string;
  /** `proxy.upstreams.<id>` when set, else the entry's base URL; no trailing slash. */
  readonly baseUrl: string;
  readonly keyHeader: string;
  readonly keyPrefix: string;
  readonly endpoints: readonly CompatibleEndpoint[];
  readonly streamUsage: boolean;
}

/** The parts of the configuration the compatible providers come from. */
export interface ProvidersSettings {
  providers: { presets: readonly string[]; compatible: readonly CompatibleProviderEntry[] };
  proxy: { upstreams: Readonly<Record<string, string>> };
  prices: Readonly<Record<string, unknown>>;
}

/** The switched-on presets, then the declared providers, in configuration order (unknown presets skipped: the schema refuses them). */
export function compatibleEntriesOf(
  settings: Pick<ProvidersSettings, 'providers'>,
): CompatibleProviderEntry[] {
  const presets = settings.providers.presets.flatMap((id) => {
    const preset = Object.hasOwn(PROVIDER_PRESETS, id) ? PROVIDER_PRESETS[id] : undefined;
    return preset ? [preset] : [];
  });
  return [...presets, ...settings.providers.compatible];
}

export function compatibleProvidersOf(
  settings: Pick<ProvidersSettings, 'providers' | 'proxy'>,
): CompatibleProvider[] {
  return compatibleEntriesOf(settings).map((entry) => {
    const upstream = Object.hasOwn(settings.proxy.upstreams, entry.id)
      ? settings.proxy.upstreams[entry.id]
      : undefined;
    return Object.freeze({
      id: entry.id,
      name: entry.name,
      baseUrl: (upstream ?? entry.baseUrl).replace(/\/+$/, ''),
      keyHeader: entry.keyHeader,
      keyPrefix: entry.keyPrefix,
      endpoints: Object.freeze([...entry.endpoints]),
      streamUsage: entry.streamUsage,
    });
  });
}

/** The capabilities a provider serving `endpoints` offers, in table order. */
function capabilitiesOf(endpoints: readonly CompatibleEndpoint[]) {
  const offered = new Set(endpoints.map((name) => COMPATIBLE_ENDPOINTS[name]));
  return CAPABILITIES.filter((capability) => offered.has(capability));
}

/** The built-ins and the configured providers: what the scope grammar, pages and CLI know. */
export function providerRegistryOf(
  settings: Pick<ProvidersSettings, 'providers' | 'proxy'>,
): ProviderRegistry {
  return createProviderRegistry(
    compatibleProvidersOf(settings).map((p) => ({
      id: p.id,
      displayName: p.name,
      capabilities: capabilitiesOf(p.endpoints),
      keyPrefix: p.keyPrefix,
    })),
  );
}

/** `prices` with each compatible provider's table: its entry's prices, `prices.<id>` over them. */
export function priceTableOf(settings: ProvidersSettings): PriceTable {
  const table: Record<string, unknown> = { ...settings.prices };
  for (const entry of compatibleEntriesOf(settings)) {
    const over = Object.hasOwn(settings.prices, entry.id) ? settings.prices[entry.id] : undefined;
    table[entry.id] = { ...entry.prices, ...(over as Record<string, unknown> | undefined) };
  }
  return table as PriceTable;
}
