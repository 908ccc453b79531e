import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { ProviderKeyError } from './provider-key-error.ts';

/** A JWK Set of the proxy's key-encryption keys (EC P-256, ECDH-ES); the first key is the current one. */
export interface ProviderKeyJwks {
  keys: JWK[];
}

export type KeyHalf = 'private' | 'public';

const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'] as const;

const invalid = (message: string) => new ProviderKeyError('ERR_PROVIDER_KEY_JWKS_INVALID', message);

const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * Checks a provider-key JWKS and returns it with every key reduced to the members that
 * matter. Each key: EC P-256, a unique `kid`, `alg` ECDH-ES and `use` enc when present;
 * private sets need `d` on every key, public sets must have it on none (the
 * authorization server gets only public keys, so it can encrypt but never decrypt).
 */
export function checkProviderKeyJwks(
  value: unknown,
  half: KeyHalf,
  source = 'provider-key JWKS',
): ProviderKeyJwks {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw invalid(`${source}: expected {"keys": [...]} with at least one key`);
  const seen = new Set<string>();
  const checked = keys.map((key: unknown, i) => {
    const k = (typeof key === 'object' && key !== null ? key : {}) as JWK;
    const name = isText(k.kid) ? `key ${k.kid}` : `key #${i + 1}`;
    if (!isText(k.kid)) throw invalid(`${source}: ${name} needs a kid`);
    if (seen.has(k.kid)) throw invalid(`${source}: kid ${k.kid} appears twice`);
    seen.add(k.kid);
    if (k.kty !== 'EC' || k.crv !== 'P-256' || !isText(k.x) || !isText(k.y))
      throw invalid(`${source}: ${name} is not an EC P-256 key`);
    if (k.alg !== undefined && k.alg !== 'ECDH-ES')
      throw invalid(`${source}: ${name} has alg ${k.alg}, expected ECDH-ES`);
    if (k.use !== undefined && k.use !== 'enc')
      throw invalid(`${source}: ${name} has use ${k.use}, expected enc`);
    if (half === 'private' && !isText(k.d)) throw invalid(`${source}: ${name} is not a private key (no d)`);
    if (half === 'public' && k.d !== undefined)
      throw invalid(`${source}: ${name} is a private key; this side must get only the public keys`);
    const out: JWK = {};
    for (const member of PUBLIC_MEMBERS) if (k[member] !== undefined) out[member] = k[member];
    if (half === 'private') out.d = k.d as string;
    return out;
  });
  return { keys: checked };
}

/** Parses and checks a provider-key JWKS file's text; errors name the file, never its contents. */
export function parseProviderKeyJwks(text: string, half: KeyHalf, source: string): ProviderKeyJwks {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid(`${source}: not valid JSON`);
  }
  return checkProviderKeyJwks(parsed, half, source);
}

/** A new private key-encryption JWK: EC P-256, `alg` ECDH-ES, `use` enc, its kid the JWK thumbprint. */
export async function generateProviderKeyPair(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg: 'ECDH-ES', use: 'enc', kid: await calculateJwkThumbprint(jwk) };
}

/** The public half of a private provider-key JWKS, in the same order. */
export function publicJwksOf(privateJwks: ProviderKeyJwks): ProviderKeyJwks {
  const { keys } = checkProviderKeyJwks(privateJwks, 'private', 'private provider-key JWKS');
  return {
    keys: keys.map(({ d: _d, ...rest }) => rest),
  };
}
