import { createHash } from 'node:crypto';
import { type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import { parseScope, type Scope } from '../../scopes/index.ts';
import { ProxyError } from '../errors/proxy-error.ts';

export interface TokenClaims {
  jti: string;
  sub: string;
  clientId: string;
  grantId: string;
  scopes: string[];
  /** The AI scopes parsed once, when the token is first verified. */
  grants: Scope[];
  /** Expiry in epoch seconds. */
  exp: number;
  /** RFC 9449: the thumbprint of the DPoP key the token is bound to (`cnf.jkt`). */
  jkt?: string;
}

export interface TokenVerifierDeps {
  getKey: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  leewaySeconds: number;
  clock: () => number;
  /** How many verified tokens to remember (oldest forgotten first). */
  maxEntries?: number;
}

function reason(err: unknown): ProxyError {
  if (err instanceof joseErrors.JWTExpired)
    return new ProxyError('invalid_token', 'the access token expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    const what = {
      aud: 'is not for this proxy (aud)',
      iss: 'was not issued by this Mandate (iss)',
      typ: 'is not an access token (typ)',
    };
    return new ProxyError(
      'invalid_token',
      `the access token ${what[err.claim as keyof typeof what] ?? `has an invalid ${err.claim} claim`}`,
    );
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported) {
    return new ProxyError('invalid_token', 'the access token is not signed with ES256');
  }
  if (
    err instanceof joseErrors.JWKSNoMatchingKey ||
    err instanceof joseErrors.JWSSignatureVerificationFailed
  ) {
    return new ProxyError('invalid_token', 'the access token signature is not valid');
  }
  if (
    err instanceof joseErrors.JWSInvalid ||
    err instanceof joseErrors.JWTInvalid ||
    err instanceof joseErrors.JWKSMultipleMatchingKeys
  ) {
    return new ProxyError('invalid_token', 'the access token is malformed');
  }
  // Anything else is about fetching the key set (timeout, unreachable, a non-200 answer
  // or not a JWKS): the token may be fine, so the answer is "try again", not 401.
  return new ProxyError(
    'unavailable',
    'cannot reach the authorization server to verify tokens; try again shortly',
  );
}

/**
 * Verifies Mandate access tokens locally: ES256 signature against the authorization
 * server's cached JWKS, `typ: at+jwt`, `iss`, `aud` = this proxy, `exp` with a small
 * leeway. A token already verified is remembered, keyed by its SHA-256, until it
 * expires, so the hot path costs one hash and one map lookup.
 */
export function createTokenVerifier({
  getKey,
  issuer,
  audience,
  leewaySeconds,
  clock,
  maxEntries = 100_000,
}: TokenVerifierDeps) {
  const cache = new Map<string, TokenClaims>();

  return async function verifyToken(token: string): Promise<TokenClaims> {
    const key = createHash('sha256').update(token).digest('base64url');
    const nowSeconds = clock() / 1000;
    const hit = cache.get(key);
    if (hit) {
      if (hit.exp + leewaySeconds > nowSeconds) return hit;
      cache.delete(key);
      throw new ProxyError('invalid_token', 'the access token expired');
    }
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        issuer,
        audience,
        typ: 'at+jwt',
        algorithms: ['ES256'],
        clockTolerance: leewaySeconds,
        currentDate: new Date(clock()),
        requiredClaims: ['jti', 'sub', 'exp', 'client_id', 'scope', 'grant_id'],
      }));
    } catch (err) {
      throw reason(err);
    }
    const { jti, sub, client_id, scope, grant_id, exp, cnf } = payload;
    const jkt = (cnf as { jkt?: unknown } | undefined)?.jkt;
    if (
      typeof jti !== 'string' ||
      typeof sub !== 'string' ||
      typeof client_id !== 'string' ||
      typeof scope !== 'string' ||
      typeof grant_id !== 'string' ||
      typeof exp !== 'number' ||
      (cnf !== undefined && typeof jkt !== 'string')
    ) {
      throw new ProxyError('invalid_token', 'the access token lacks a Mandate claim');
    }
    const claims: TokenClaims = {
      jti,
      sub,
      clientId: client_id,
      grantId: grant_id,
      scopes: scope.split(' '),
      grants: scope.split(' ').flatMap((s) => {
        const parsed = parseScope(s);
        return parsed.ok ? [parsed.scope] : [];
      }),
      exp,
      ...(typeof jkt === 'string' ? { jkt } : {}),
    };
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
    cache.set(key, claims);
    return claims;
  };
}

export type VerifyToken = ReturnType<typeof createTokenVerifier>;
