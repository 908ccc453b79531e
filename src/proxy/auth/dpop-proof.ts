import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
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
 * node:crypto verifies the compact JWS synchronously, the key imported once per
 * thumbprint (bench/dpop.ts: a third of jose's cost with an embedded key).
 */
export async function verifyDpopProof(input: DpopProofInput): Promise<DpopProofResult> {
  const parts = input.proof.split('.');
  const header = parts.length === 3 ? decodeSegment(parts[0] as string) : undefined;
  if (!header) return refused('the DPoP proof is not a JWT');
  if (header.typ !== 'dpop+jwt') return refused('the DPoP proof is not typ dpop+jwt');
  const { alg } = header;
  if (typeof alg !== 'string' || !(DPOP_ALGORITHMS as readonly string[]).includes(alg))
    return refused(`the DPoP proof must be signed with ${DPOP_ALGORITHMS.join(' or ')}`);
  // No extension is understood, so none may be critical (RFC 7515 §4.1.11).
  if (header.crit !== undefined) return refused('the DPoP proof has a crit header');
  const jwk = header.jwk as Record<string, unknown> | undefined;
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk))
    return refused('the DPoP proof has no jwk header');
  if ('d' in jwk) return refused('the DPoP proof header carries a private key');
  const thumbprint = publicThumbprint(jwk, alg);
  if (thumbprint === undefined) return refused(`the DPoP proof's jwk is not a public ${alg} key`);
  if (thumbprint !== input.jkt)
    return refused('the DPoP proof is not signed by the key the access token is bound to');
  const key = publicKeyOf(thumbprint, jwk);
  if (!key) return refused(`the DPoP proof's jwk is not a public ${alg} key`);
  const signature = Buffer.from(parts[2] as string, 'base64url');
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  // ES256 (raw r || s, RFC 7518 §3.4) and Ed25519 signatures are both 64 bytes.
  let valid = false;
  try {
    valid =
      signature.length === 64 &&
      (alg === 'ES256'
        ? verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, signature)
        : verify(null, signed, key, signature));
  } catch {}
  if (!valid) return refused('the DPoP proof signature is not valid');
  const payload = decodeSegment(parts[1] as string);
  if (!payload) return refused('the DPoP proof is not a JWT');
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

/** A base64url JSON object segment of a compact JWS, or undefined. */
function decodeSegment(segment: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The RFC 7638 thumbprint of a public key of the kind `alg` signs with (EC P-256 for
 * ES256, OKP Ed25519 for Ed25519 and EdDSA): SHA-256 of its required members in
 * lexicographic order; undefined for any other key.
 */
function publicThumbprint(jwk: Record<string, unknown>, alg: string): string | undefined {
  const { crv, kty, x, y } = jwk;
  let canonical: string;
  if (alg === 'ES256') {
    if (kty !== 'EC' || crv !== 'P-256' || typeof x !== 'string' || typeof y !== 'string') return undefined;
    canonical = JSON.stringify({ crv, kty, x, y });
  } else {
    if (kty !== 'OKP' || crv !== 'Ed25519' || typeof x !== 'string') return undefined;
    canonical = JSON.stringify({ crv, kty, x });
  }
  return createHash('sha256').update(canonical).digest('base64url');
}

/** Imported keys of tokens' `cnf.jkt`, by thumbprint: a key is imported once, not per proof. */
const KEYS = new Map<string, KeyObject>();
const MAX_KEYS = 10_000;

function publicKeyOf(thumbprint: string, jwk: Record<string, unknown>): KeyObject | undefined {
  let key = KEYS.get(thumbprint);
  if (key) return key;
  try {
    const { crv, kty, x, y } = jwk;
    key = createPublicKey({
      key: { crv, kty, x, ...(y === undefined ? {} : { y }) } as never,
      format: 'jwk',
    });
  } catch {
    return undefined;
  }
  if (KEYS.size >= MAX_KEYS) KEYS.delete(KEYS.keys().next().value as string);
  KEYS.set(thumbprint, key);
  return key;
}
