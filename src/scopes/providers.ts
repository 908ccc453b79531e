/**
 * The AI providers a scope may name, and how the consent page names them.
 * Provider ids are lowercase and compared exactly.
 */
export const PROVIDERS = Object.freeze(['openai', 'anthropic', 'google'] as const);

export type Provider = (typeof PROVIDERS)[number];

const DISPLAY_NAMES: Readonly<Record<Provider, string>> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  google: 'Google Gemini',
};

export function isProvider(value: string): value is Provider {
  return (PROVIDERS as readonly string[]).includes(value);
}

export function providerDisplayName(provider: Provider): string {
  return DISPLAY_NAMES[provider];
}
