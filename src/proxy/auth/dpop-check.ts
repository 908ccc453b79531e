import type { IncomingMessage } from 'node:http';
import { ProxyError } from '../errors/proxy-error.ts';
import type { DpopNonces } from './dpop-nonces.ts';
import { verifyDpopProof } from './dpop-proof.ts';
import type { PresentedToken } from './extract-token.ts';
import type { TokenClaims } from './verify-token.ts';

/** How far a proof's `iat` may be from the proxy's clock, either way (RFC 9449 §11.1). */
export const DPOP_IAT_WINDOW_SECONDS = 60;

export interface DpopCheckDeps {
  /** The proxy's public URL: a proof's `htu` is it plus the request's path. */
  proxyUrl: string;
  /** Records a proof's `jti` for its key until `expiresAt`; false when it was already used (any proxy). */
  claim(jkt: string, jti: string, expiresAt: number): Promise<boolean>;
  clock: () => number;
  /** When set, every proof must carry one of these nonces (RFC 9449 §9). */
  nonces?: DpopNonces;
}

/** Resolves to the nonce to hand back in `DPoP-Nonce` when nonces are on; throws a ProxyError when refused. */
export type DpopCheck = (
  req: IncomingMessage,
  path: string,
  presented: PresentedToken,
  claims: TokenClaims,
) => Promise<string | undefined>;

/**
 * RFC 9449 at the resource server: a bound token (`cnf.jkt`) only as `Authorization:
 * DPoP` with exactly one valid proof of its key for this method, URL and token, each
 * proof used once across every proxy process; an unbound token only as a bearer token.
 * Refusals challenge with the `DPoP` scheme; a missing or stale nonce is
 * `use_dpop_nonce` with a fresh `DPoP-Nonce`.
 */
export function createDpopCheck(deps: DpopCheckDeps): DpopCheck {
  const refuse = (code: 'invalid_token' | 'invalid_dpop_proof', message: string) =>
    new ProxyError(code, message, { challenge: 'DPoP' });
  return async function checkDpop(req, path, presented, claims) {
    const { jkt } = claims;
    if (presented.scheme === 'Bearer') {
      if (jkt === undefined) return undefined;
      throw refuse(
        'invalid_token',
        'this access token is bound to a DPoP key: send it as "Authorization: DPoP <token>" with a DPoP proof',
      );
    }
    if (jkt === undefined)
      throw refuse(
        'invalid_token',
        'this access token is not bound to a DPoP key: send it as "Authorization: Bearer <token>"',
      );
    const proofs = req.headersDistinct.dpop;
    if (proofs === undefined)
      throw refuse('invalid_dpop_proof', 'a DPoP-bound token needs a DPoP proof header');
    if (proofs.length !== 1) throw refuse('invalid_dpop_proof', 'send exactly one DPoP proof header');
    const now = deps.clock();
    const { nonces } = deps;
    const result = await verifyDpopProof({
      proof: proofs[0] as string,
      method: req.method ?? '',
      htu: `${deps.proxyUrl}${path}`,
      accessToken: presented.token,
      jkt,
      now,
      iatWindowSeconds: DPOP_IAT_WINDOW_SECONDS,
      ...(nonces ? { acceptNonce: (nonce: unknown) => nonces.accepts(nonce, now) } : {}),
    });
    if (!result.ok) {
      if (result.useNonce && nonces)
        throw new ProxyError('use_dpop_nonce', result.reason, {
          challenge: 'DPoP',
          headers: { 'dpop-nonce': nonces.current(now) },
        });
      throw refuse('invalid_dpop_proof', result.reason);
    }
    // Kept past the end of its window (a second's margin), so no proxy accepts it again.
    const expiresAt = (result.iat + DPOP_IAT_WINDOW_SECONDS + 1) * 1000;
    if (!(await deps.claim(jkt, result.jti, expiresAt)))
      throw refuse('invalid_dpop_proof', 'this DPoP proof was already used (jti)');
    return nonces?.current(now);
  };
}
