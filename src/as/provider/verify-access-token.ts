import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';

export interface AccessTokenClaims {
  jti: string;
  sub: string;
  client_id: string;
  scope: string;
  grant_id: string;
  exp: number;
  iat: number;
  iss: string;
  aud: string | string[];
  /** RFC 9396 details the person granted, when the app asked for any. */
  authorization_details?: unknown[];
  /** RFC 9449: the thumbprint of the key a DPoP-bound token is bound to. */
  cnf?: { jkt?: string };
  /** RFC 8693: the sub-agent a token of token exchange is for (nested for deeper chains). */
  act?: Record<string, unknown>;
}

/** Verifies one of our own RFC 9068 access tokens; undefined for anything else. */
export function createAccessTokenVerifier({
  publicJwks,
  issuer,
  audience,
  clock,
}: {
  publicJwks: JSONWebKeySet;
  issuer: string;
  audience: string;
  clock: () => number;
}) {
  const keys = createLocalJWKSet(publicJwks);
  return async function verifyAccessToken(token: unknown): Promise<AccessTokenClaims | undefined> {
    if (typeof token !== 'string') return undefined;
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer,
        audience,
        typ: 'at+jwt',
        algorithms: ['ES256'],
        currentDate: new Date(clock()),
      });
      if (typeof payload.jti !== 'string' || typeof payload.grant_id !== 'string') return undefined;
      return payload as unknown as AccessTokenClaims;
    } catch {
      return undefined;
    }
  };
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;
