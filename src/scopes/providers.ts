import type { Capability } from './capability-table.ts';

/** The providers Mandate ships with, in the order pages and messages list them. */
export const BUILTIN_PROVIDERS = Object.freeze(['openai', 'anthropic', 'google'] as const);

/**
 * A provider id: a built-in one or an OpenAI-compatible provider the operator declared
 * (`providers.compatible`). Lowercase, compared exactly; `isProvider` says whether the
 * registry in use knows it.
 */
export type Provider = string;

/** What the scope grammar, the pages and the key checks know about a provider. */
export interface ProviderInfo {
  readonly id: Provider;
  /** How pages and messages name it ("Mistral AI"). */
  readonly displayName: string;
  /** The capabilities a scope may name for it, in table order. */
  readonly capabilities: readonly Capability[];
  /** How its API keys start (checked on the keys page and in the CLI); '' when they have no fixed prefix. */
  readonly keyPrefix: string;
}

/** Every provider a process knows: the built-ins, then the configured ones. */
export interface ProviderRegistry {
  readonly ids: readonly Provider[];
  info(id: string): ProviderInfo | undefined;
}

const BUILTIN_INFO: readonly ProviderInfo[] = [
  {
    id: 'openai',
    displayName: 'OpenAI',
    capabilities: ['chat', 'embeddings', 'images', 'audio', 'moderations', 'models'],
    keyPrefix: 'sk-',
  },
  { id: 'anthropic', displayName: 'Anthropic', capabilities: ['chat', 'models'], keyPrefix: 'sk-ant-' },
  // Gemini API keys are Google Cloud API keys: `AIza` and 35 more characters.
  {
    id: 'google',
    displayName: 'Google Gemini',
    capabilities: ['chat', 'embeddings', 'models'],
    keyPrefix: 'AIza',
  },
];

/** The built-ins and `extra` (configured providers, already validated: ids unique and not built-in). */
export function createProviderRegistry(extra: readonly ProviderInfo[] = []): ProviderRegistry {
  const byId = new Map<string, ProviderInfo>();
  for (const info of [...BUILTIN_INFO, ...extra]) {
    if (byId.has(info.id)) throw new Error(`provider ${info.id} is declared twice`);
    byId.set(info.id, Object.freeze({ ...info, capabilities: Object.freeze([...info.capabilities]) }));
  }
  const ids = Object.freeze([...byId.keys()]);
  return Object.freeze({ ids, info: (id: string) => byId.get(id) });
}

/**
 * The registry of this process. Each server's one construction path (and the CLI)
 * installs the one built from its configuration before it serves, so the authorization
 * server and the proxy, given the same configuration, know the same providers. The only
 * module state of the scope grammar: scopes are parsed in too many pure helpers to pass
 * it to each.
 */
let active: ProviderRegistry = createProviderRegistry();

export function useProviderRegistry(registry: ProviderRegistry): void {
  active = registry;
}

export function providerRegistry(): ProviderRegistry {
  return active;
}

/** The ids of the registry in use, built-ins first. */
export function providerIds(): readonly Provider[] {
  return active.ids;
}

export function isProvider(value: string, registry: ProviderRegistry = active): value is Provider {
  return registry.info(value) !== undefined;
}

export function providerDisplayName(provider: Provider): string {
  return active.info(provider)?.displayName ?? provider;
}
