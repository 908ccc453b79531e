import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import type { CryptoKeyPair } from 'oauth4webapi';

export interface DpopProofClaims {
  htm: string;
  htu: string;
  accessToken: string;
  /** Overrides (a wrong `ath`, an old `iat`, a nonce, …). */
  extra?: Record<string, unknown>;
}

/** One DPoP proof (RFC 9449 §4.2) signed with `keys`, for a request to `htu` with `accessToken`. */
export async function dpopProof(keys: CryptoKeyPair, claims: DpopProofClaims): Promise<string> {
  const url = new URL(claims.htu);
  return new SignJWT({
    jti: randomUUID(),
    htm: claims.htm,
    htu: `${url.origin}${url.pathname}`,
    iat: Math.floor(Date.now() / 1000),
    ath: createHash('sha256').update(claims.accessToken).digest('base64url'),
    ...claims.extra,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey) })
    .sign(keys.privateKey);
}

/**
 * A `fetch` for an official SDK (`new OpenAI({ fetch })`) that sends its access token as
 * `Authorization: DPoP` with a fresh proof on every request, as docs/app-developers.md
 * shows. `publicUrl`: the proxy's public URL when the request goes to another address
 * (one process behind the load balancer), for the proof's `htu`.
 */
export function dpopFetch(keys: CryptoKeyPair, accessToken: string, publicUrl?: string): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const htu = publicUrl ? `${publicUrl}${url.pathname}` : request.url;
    request.headers.delete('x-api-key');
    request.headers.set('authorization', `DPoP ${accessToken}`);
    request.headers.set('dpop', await dpopProof(keys, { htm: request.method, htu, accessToken }));
    return fetch(request);
  };
}
