import { createHash } from 'node:crypto';
import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  EmbeddedJWK,
  type JWK,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { DPOP_ALGORITHMS } from '../../shared/dpop-algorithms.ts';

export interface DpopProofInput {
  /** The `DPoP` header's value: one compact JWS. */
  proof: string;
  /** The request's method, as received. */
  method: string;
  /** The request's URL as the client addressed it: the proxy's public URL + path, no query or fragment. */
  htu: string;
  /** The access token presented with the proof (`ath` is its SHA-256). */
  accessToken: string;
  /** The token's `cnf.jkt`: the proof must be signed by that key. */
  jkt: string;
  /** Now, in epoch milliseconds. */
  now: number;
  /** How far `iat` may be from now, either way, in seconds. */
  iatWindowSeconds: number;
  /** When the proxy asks for a nonce (RFC 9449 §9): whether the proof's `nonce` is one it accepts. */
  acceptNonce?: (nonce: unknown) => boolean;
}

export type DpopProofResult =
  | { ok: true; jti: string; iat: number }
  | { ok: false; reason: string; useNonce?: true };

function refused(reason: string): DpopProofResult {
  return { ok: false, reason };
}

/** `htu` as RFC 9449 §4.3 compares it: scheme and host case-folded, default port dropped, no query or fragment. */
export function normalizeHtu(value: string): string | undefined {
  try {
    const url = new URL(value);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * Checks one DPoP proof (RFC 9449 §4.3) for a request to the proxy: `typ: dpop+jwt`, an
 * allowed asymmetric `alg`, a public `jwk` in the header that signs it and whose
 * thumbprint is the token's `cnf.jkt`, `htm` and `htu` of this request, `ath` of this
 * token, `iat` within the window, a `jti`, and the nonce when one is required. The
 * `jti`'s replay is the caller's (it is shared by every proxy process). Never throws.
 */
export async function verifyDpopProof(input: DpopProofInput): Promise<DpopProofResult> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(input.proof);
  } catch {
    return refused('the DPoP proof is not a JWT');
  }
  if (header.typ !== 'dpop+jwt') return refused('the DPoP proof is not typ dpop+jwt');
  if (typeof header.alg !== 'string' || !(DPOP_ALGORITHMS as readonly string[]).includes(header.alg))
    return refused(`the DPoP proof must be signed with ${DPOP_ALGORITHMS.join(' or ')}`);
  const jwk = header.jwk as JWK | undefined;
  if (!jwk || typeof jwk !== 'object') return refused('the DPoP proof has no jwk header');
  if ('d' in jwk) return refused('the DPoP proof header carries a private key');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(input.proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: DPOP_ALGORITHMS,
    }));
  } catch (err) {
    // jose checks the registered claims' types too (a string `iat`): say which one.
    if (err instanceof joseErrors.JWTClaimValidationFailed)
      return refused(`the DPoP proof's ${err.claim} claim is not valid`);
    return refused('the DPoP proof signature is not valid');
  }
  if ((await calculateJwkThumbprint(jwk)) !== input.jkt)
    return refused('the DPoP proof is not signed by the key the access token is bound to');
  const { jti, htm, htu, iat, ath, nonce } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256)
    return refused('the DPoP proof has no jti');
  if (htm !== input.method) return refused('the DPoP proof is for another method (htm)');
  if (typeof htu !== 'string' || normalizeHtu(htu) !== normalizeHtu(input.htu))
    return refused('the DPoP proof is for another URL (htu)');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return refused('the DPoP proof has no iat');
  if (Math.abs(iat - input.now / 1000) > input.iatWindowSeconds)
    return refused('the DPoP proof is too old or from the future (iat)');
  if (ath !== createHash('sha256').update(input.accessToken).digest('base64url'))
    return refused('the DPoP proof is for another access token (ath)');
  if (input.acceptNonce !== undefined && !input.acceptNonce(nonce))
    return {
      ok: false,
      reason: 'the DPoP proof must carry a current nonce from the DPoP-Nonce header',
      useNonce: true,
    };
  return { ok: true, jti, iat };
}
