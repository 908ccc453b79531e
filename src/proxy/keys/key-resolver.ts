import { type Provider, providerDisplayName } from '../../scopes/index.ts';
import { ProxyError } from '../errors/proxy-error.ts';

export interface KeyResolverDeps {
  /** The person's stored key for a provider, still encrypted (JWE), if any. */
  loadCiphertext(accountId: string, provider: Provider): Promise<string | undefined>;
  /** Decrypts, checking the ciphertext was made for this account and provider. */
  decrypt(ciphertext: string, binding: { accountId: string; provider: Provider }): Promise<string>;
  /** Single-person installs: the operator's key per provider. */
  operatorKeys: Partial<Record<Provider, string>>;
  clock: () => number;
  /** How long a decrypted key is kept in memory; a replaced key takes effect after it. */
  ttlMs: number;
}

/**
 * The real API key for a person and provider, at the last moment before forwarding:
 * the person's own key if stored, else the operator's. Decrypted keys stay only in this
 * process's memory, briefly, so the hot path needs no database trip.
 */
export function createKeyResolver({ loadCiphertext, decrypt, operatorKeys, clock, ttlMs }: KeyResolverDeps) {
  // The entry holds the read in flight too, so concurrent first requests share one
  // database read and one decryption; a failed read is not kept.
  const cache = new Map<string, { key: Promise<string | undefined>; until: number }>();
  return async function resolveKey(accountId: string, provider: Provider): Promise<string> {
    const id = `${provider}\u0000${accountId}`;
    const now = clock();
    let entry = cache.get(id);
    if (!entry || entry.until <= now) {
      const read = loadCiphertext(accountId, provider).then((ciphertext) =>
        ciphertext ? decrypt(ciphertext, { accountId, provider }) : undefined,
      );
      const created = { key: read, until: now + ttlMs };
      cache.set(id, created);
      read.catch(() => {
        if (cache.get(id) === created) cache.delete(id);
      });
      entry = created;
    }
    const stored = await entry.key;
    const key = stored ?? operatorKeys[provider];
    if (!key) {
      throw new ProxyError(
        'no_provider_key',
        `the person has no ${providerDisplayName(provider)} key in Mandate`,
      );
    }
    return key;
  };
}

export type ResolveKey = ReturnType<typeof createKeyResolver>;
