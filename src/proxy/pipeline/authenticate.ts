import type { Context } from 'koa';
import { extractToken } from '../auth/extract-token.ts';
import type { TokenClaims, VerifyToken } from '../auth/verify-token.ts';
import { providerOfPath } from '../endpoints/index.ts';
import { ProxyError } from '../errors/proxy-error.ts';
import { corsHeaders } from '../http/cors-headers.ts';
import type { Flight } from '../lifecycle/in-flight.ts';
import type { RequestFacts } from './request-facts.ts';

export interface AuthenticateDeps {
  verifyToken: VerifyToken;
  /** Throws a ProxyError when the token's grant or id is revoked, or liveness is unknown. */
  checkLiveness(claims: TokenClaims): Promise<void>;
  /** Origins the token's client may call from (browser apps), for CORS. */
  allowedOrigins(clientId: string): Promise<ReadonlySet<string>>;
}

/**
 * Stage 1: who is calling. The token (verified locally), its grant and id still live,
 * and, for a browser app, an origin of the token's own app (then the CORS headers).
 */
export function createAuthenticate(deps: AuthenticateDeps) {
  return async function authenticate(
    ctx: Context,
    facts: RequestFacts,
    flight: Flight,
  ): Promise<TokenClaims> {
    const claims = await deps.verifyToken(
      extractToken(ctx.req.headers, providerOfPath(ctx.path)?.tokenHeader),
    );
    if (claims.jkt !== undefined) {
      // RFC 9449 §7.1: a DPoP-bound token is never accepted as a bearer token. The proxy
      // does not verify DPoP proofs yet, so it accepts no bound token at all.
      throw new ProxyError(
        'invalid_token',
        'this access token is bound to a DPoP key; this proxy accepts only bearer tokens (ask for a token without a DPoP proof)',
      );
    }
    facts.clientId = claims.clientId;
    facts.grantId = claims.grantId;
    // Before liveness: a revocation from now on ends this request wherever it is.
    flight.identify(claims.grantId, claims.jti);
    await deps.checkLiveness(claims);
    const origin = ctx.get('origin');
    if (origin && !(await deps.allowedOrigins(claims.clientId)).has(origin)) {
      throw new ProxyError('origin_not_allowed', `this app may not be called from ${origin}`);
    }
    if (origin) {
      for (const [name, value] of Object.entries(corsHeaders(origin))) ctx.res.setHeader(name, value);
    }
    return claims;
  };
}
