import { randomBytes } from 'node:crypto';
import { saveProviderKey } from '../as/keys/save-provider-key.ts';
import type { ProviderKeyJwks } from '../shared/provider-key-crypto.ts';
import type { Stores } from '../storage/index.ts';

/**
 * With the fake OpenAI the person needs no real key, but the proxy still injects one:
 * if they have none, the demo stores a placeholder (stored like any key, encrypted to
 * the proxy) and removes it again afterwards. Returns how to remove it, or undefined
 * when the person already had an OpenAI key (which then stays as it is).
 */
export async function storePlaceholderKey(
  stores: Pick<Stores, 'providerKeys'>,
  publicJwks: () => ProviderKeyJwks,
  accountId: string,
): Promise<{ last4: string; remove(): Promise<boolean> } | undefined> {
  if (await stores.providerKeys.get(accountId, 'openai')) return undefined;
  const key = `sk-mandate-demo-placeholder-${randomBytes(8).toString('hex')}`;
  const saved = await saveProviderKey(stores.providerKeys, publicJwks(), {
    accountId,
    provider: 'openai',
    key,
  });
  if (!saved.ok) throw new Error(saved.error);
  return {
    last4: saved.last4,
    // Only the placeholder: a key the person stored meanwhile is theirs.
    async remove() {
      const now = await stores.providerKeys.get(accountId, 'openai');
      return now?.last4 === saved.last4 ? stores.providerKeys.delete(accountId, 'openai') : false;
    },
  };
}
