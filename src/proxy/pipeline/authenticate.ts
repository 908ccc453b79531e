import type { Context } from 'koa';
import type { DpopCheck } from '../auth/dpop-check.ts';
import { extractToken } from '../auth/extract-token.ts';
import type { TokenClaims, VerifyToken } from '../auth/verify-token.ts';
import type { EndpointTable } from '../endpoints/index.ts';
import { ProxyError } from '../errors/proxy-error.ts';
import { corsHeaders } from '../http/cors-headers.ts';
import type { Flight } from '../lifecycle/in-flight.ts';
import type { RequestFacts } from './request-facts.ts';

export interface AuthenticateDeps {
  /** Which provider a path is for (the header its SDK sends the key in). */
  endpoints: EndpointTable;
  verifyToken: VerifyToken;
  /** RFC 9449: a bound token only with a valid, unused proof of its key; an unbound one only as Bearer. */
  checkDpop: DpopCheck;
  /** Throws a ProxyError when the token's grant or id is revoked, or liveness is unknown. */
  checkLiveness(claims: TokenClaims): Promise<void>;
  /** Origins the token's client may call from (browser apps), for CORS. */
  allowedOrigins(clientId: string): Promise<ReadonlySet<string>>;
}

/**
 * Stage 1: who is calling. The token (verified locally), its DPoP proof when it is bound
 * to a key, its grant and id still live, and, for a browser app, an origin of the
 * token's own app (then the CORS headers).
 */
export function createAuthenticate(deps: AuthenticateDeps) {
  return async function authenticate(
    ctx: Context,
    facts: RequestFacts,
    flight: Flight,
  ): Promise<TokenClaims> {
    const presented = extractToken(ctx.req.headers, deps.endpoints.providerOfPath(ctx.path)?.tokenHeader);
    const claims = await deps.verifyToken(presented.token).catch((err: unknown) => {
      // RFC 9449 §7.1: a token sent as DPoP is refused with the DPoP challenge.
      if (presented.scheme === 'DPoP' && err instanceof ProxyError)
        throw new ProxyError(err.code, err.message, { challenge: 'DPoP', headers: { ...err.headers } });
      throw err;
    });
    const nonce = await deps.checkDpop(ctx.req, ctx.path, presented, claims);
    if (nonce !== undefined) ctx.res.setHeader('dpop-nonce', nonce);
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
