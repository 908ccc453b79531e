import {
  CompactEncrypt,
  type CompactJWEHeaderParameters,
  compactDecrypt,
  decodeProtectedHeader,
  importJWK,
  type JWK,
} from 'jose';
import { ProviderKeyError } from './provider-key-error.ts';
import { checkProviderKeyJwks, type ProviderKeyJwks } from './provider-key-jwks.ts';

/*
 * People's provider API keys at rest: a JWE (compact, `alg` ECDH-ES, `enc` A256GCM) to
 * the proxy's public key. The authorization server holds only public keys, so it can
 * encrypt a key a person types but never read one back; proxy processes hold the private
 * keys and pick one by the JWE header's `kid`, so old and new keys both decrypt while a
 * rotation re-wraps the stored keys.
 *
 * - Encryption uses the FIRST key of the public JWKS.
 * - The protected header may bind the ciphertext to its row (account and provider): the
 *   header is authenticated, so a ciphertext copied to another person's row is refused
 *   by a decrypter that is told whom it decrypts for.
 * - No compression (`zip`) and no `crit` are accepted.
 */

export { ProviderKeyError, type ProviderKeyErrorCode } from './provider-key-error.ts';
export {
  checkProviderKeyJwks,
  generateProviderKeyPair,
  type ProviderKeyJwks,
  parseProviderKeyJwks,
  publicJwksOf,
} from './provider-key-jwks.ts';

export interface EncryptedProviderKey {
  /** JWE compact serialization. */
  ciphertext: string;
  /** The proxy key it is encrypted to. */
  kid: string;
}

/** Whose key a ciphertext is: bound into the authenticated JWE header. */
export interface ProviderKeyBinding {
  accountId: string;
  provider: string;
}

export interface ProviderKeyDecrypter {
  /** The kids this decrypter holds, first (current) first. */
  readonly kids: readonly string[];
  /**
   * The plaintext key. With `expected`, the ciphertext must be bound to that account
   * and provider. Throws `ProviderKeyError` (never with key material in the message).
   */
  decrypt(ciphertext: string, expected?: ProviderKeyBinding): Promise<string>;
}

const ALG = 'ECDH-ES';
const ENC = 'A256GCM';
const ACCOUNT_PARAM = 'mandate_account';
const PROVIDER_PARAM = 'mandate_provider';
const MAX_PLAINTEXT_BYTES = 4096;
const MAX_CIPHERTEXT_CHARS = 16 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

async function importKey(jwk: JWK, source: string): Promise<CryptoKey> {
  try {
    return (await importJWK(jwk, ALG)) as CryptoKey;
  } catch {
    throw new ProviderKeyError('ERR_PROVIDER_KEY_JWKS_INVALID', `${source}: key ${jwk.kid} cannot be used`);
  }
}

/** Encrypts a provider key to the first key of the proxy's public JWKS. */
export async function encryptProviderKey(
  plaintext: string,
  publicJwks: ProviderKeyJwks,
  binding?: ProviderKeyBinding,
): Promise<EncryptedProviderKey> {
  if (typeof plaintext !== 'string' || plaintext.length === 0)
    throw new ProviderKeyError('ERR_PROVIDER_KEY_PLAINTEXT_INVALID', 'the provider key is empty');
  const bytes = encoder.encode(plaintext);
  if (bytes.length > MAX_PLAINTEXT_BYTES)
    throw new ProviderKeyError(
      'ERR_PROVIDER_KEY_PLAINTEXT_INVALID',
      `the provider key is longer than ${MAX_PLAINTEXT_BYTES} bytes`,
    );
  const { keys } = checkProviderKeyJwks(publicJwks, 'public', 'public provider-key JWKS');
  const jwk = keys[0] as JWK;
  const kid = jwk.kid as string;
  const header: CompactJWEHeaderParameters = {
    alg: ALG,
    enc: ENC,
    kid,
    ...(binding ? { [ACCOUNT_PARAM]: binding.accountId, [PROVIDER_PARAM]: binding.provider } : {}),
  };
  const ciphertext = await new CompactEncrypt(bytes)
    .setProtectedHeader(header)
    .encrypt(await importKey(jwk, 'public provider-key JWKS'));
  return { ciphertext, kid };
}

const badCiphertext = (message: string) =>
  new ProviderKeyError('ERR_PROVIDER_KEY_CIPHERTEXT_INVALID', `stored provider key: ${message}`);

/** The header of a stored ciphertext, checked before any key is used on it. */
function readHeader(ciphertext: string): { kid: string; account?: unknown; provider?: unknown } {
  if (typeof ciphertext !== 'string' || ciphertext.length > MAX_CIPHERTEXT_CHARS)
    throw badCiphertext('not a JWE of a sane size');
  if (ciphertext.split('.').length !== 5) throw badCiphertext('not a compact JWE');
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(ciphertext) as Record<string, unknown>;
  } catch {
    throw badCiphertext('unreadable JWE header');
  }
  if (header.alg !== ALG || header.enc !== ENC) throw badCiphertext(`expected alg ${ALG} and enc ${ENC}`);
  if (header.zip !== undefined || header.crit !== undefined)
    throw badCiphertext('zip and crit are not accepted');
  if (typeof header.kid !== 'string' || header.kid === '') throw badCiphertext('the JWE header has no kid');
  return { kid: header.kid, account: header[ACCOUNT_PARAM], provider: header[PROVIDER_PARAM] };
}

/**
 * A decrypter over the proxy's private JWKS (checked and imported now, so a bad key
 * set fails at start-up). It picks the key by the ciphertext's `kid`.
 */
export async function createProviderKeyDecrypter(
  privateJwks: ProviderKeyJwks,
): Promise<ProviderKeyDecrypter> {
  const { keys } = checkProviderKeyJwks(privateJwks, 'private', 'private provider-key JWKS');
  const byKid = new Map<string, CryptoKey>();
  for (const jwk of keys) byKid.set(jwk.kid as string, await importKey(jwk, 'private provider-key JWKS'));
  const kids = Object.freeze(keys.map((k) => k.kid as string));
  return {
    kids,
    async decrypt(ciphertext, expected) {
      const header = readHeader(ciphertext);
      const key = byKid.get(header.kid);
      if (!key)
        throw new ProviderKeyError(
          'ERR_PROVIDER_KEY_UNKNOWN_KID',
          `stored provider key is encrypted to kid ${header.kid}, which this process does not hold`,
        );
      if (expected && (header.account !== expected.accountId || header.provider !== expected.provider))
        throw new ProviderKeyError(
          'ERR_PROVIDER_KEY_BINDING_MISMATCH',
          'stored provider key belongs to another account or provider',
        );
      let plaintext: Uint8Array;
      try {
        ({ plaintext } = await compactDecrypt(ciphertext, key, {
          keyManagementAlgorithms: [ALG],
          contentEncryptionAlgorithms: [ENC],
        }));
      } catch {
        throw new ProviderKeyError(
          'ERR_PROVIDER_KEY_DECRYPTION_FAILED',
          `stored provider key (kid ${header.kid}) does not decrypt: altered, or encrypted to another key`,
        );
      }
      try {
        return decoder.decode(plaintext);
      } catch {
        throw badCiphertext('the plaintext is not UTF-8');
      }
    },
  };
}
