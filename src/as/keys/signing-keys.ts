import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

export interface SigningJwks {
  keys: JWK[];
}

/** A new ES256 signing key, its kid the JWK thumbprint. */
export async function generateSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg: 'ES256', use: 'sig', kid: await calculateJwkThumbprint(jwk) };
}

/**
 * Checks a private JWKS for the authorization server: at least one key, every key
 * private (has `d`), ES256 first since the first key of an algorithm signs.
 */
export function parseSigningJwks(text: string, source: string): SigningJwks {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${source}: not valid JSON`);
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new Error(`${source}: expected {"keys": [...]} with at least one key`);
  for (const key of keys as JWK[]) {
    if (!key.d) throw new Error(`${source}: key ${key.kid ?? '(no kid)'} is not a private key`);
    if (!key.kid) throw new Error(`${source}: every key needs a kid`);
  }
  if (!(keys as JWK[]).some((k) => k.kty === 'EC' && k.crv === 'P-256'))
    throw new Error(`${source}: needs an EC P-256 key for ES256`);
  return { keys: keys as JWK[] };
}
