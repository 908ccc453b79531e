import { type Provider, providerDisplayName, providerRegistry } from '../scopes/index.ts';

export type ProviderKeyCheck = { ok: true; key: string; last4: string } | { ok: false; error: string };

const MIN_LENGTH = 20;
const MAX_LENGTH = 512;
/** How the provider's API keys start (for hints next to the input); '' when they have no fixed prefix. */
export function providerKeyPrefix(provider: Provider): string {
  return providerRegistry().info(provider)?.keyPrefix ?? '';
}

/**
 * Checks a pasted provider API key, surrounding whitespace trimmed. Messages say what is
 * wrong in words and never quote the key. Only letters, digits, `-` and `_` pass, so a
 * key can never smuggle a line break into the header the proxy puts it in.
 */
export function checkProviderKey(provider: Provider, raw: string): ProviderKeyCheck {
  const name = providerDisplayName(provider);
  const key = raw.trim();
  const prefix = providerKeyPrefix(provider);
  if (key === '') return { ok: false, error: `Paste your ${name} API key.` };
  if (provider === 'openai' && key.startsWith(providerKeyPrefix('anthropic')))
    return { ok: false, error: `That looks like an Anthropic key. ${name} API keys start with ${prefix}` };
  if (!key.startsWith(prefix)) return { ok: false, error: `${name} API keys start with ${prefix}` };
  if (!/^[A-Za-z0-9_-]+$/.test(key))
    return { ok: false, error: `${name} API keys contain only letters, digits, - and _.` };
  if (key.length < MIN_LENGTH) return { ok: false, error: `That is too short for a ${name} API key.` };
  if (key.length > MAX_LENGTH) return { ok: false, error: `That is too long for a ${name} API key.` };
  return { ok: true, key, last4: key.slice(-4) };
}
