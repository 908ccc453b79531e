import type { Provider } from '../../scopes/index.ts';
import { encryptProviderKey, type ProviderKeyJwks } from '../../shared/provider-key-crypto.ts';
import { checkProviderKey } from '../../shared/provider-key-format.ts';
import type { ProviderKeyStore } from '../../storage/index.ts';

export type SaveProviderKeyResult =
  | { ok: true; last4: string; outcome: 'added' | 'replaced' }
  | { ok: false; error: string };

/**
 * Stores a key a person typed: checked, encrypted to the proxy's current public key and
 * bound to this account and provider, then saved with its last four characters. The
 * plaintext goes nowhere else; error messages never quote it.
 */
export async function saveProviderKey(
  store: ProviderKeyStore,
  publicJwks: ProviderKeyJwks,
  { accountId, provider, key }: { accountId: string; provider: Provider; key: string },
): Promise<SaveProviderKeyResult> {
  const checked = checkProviderKey(provider, key);
  if (!checked.ok) return checked;
  const encrypted = await encryptProviderKey(checked.key, publicJwks, { accountId, provider });
  const outcome = await store.set(accountId, provider, { ...encrypted, last4: checked.last4 });
  return { ok: true, last4: checked.last4, outcome };
}
