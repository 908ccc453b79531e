import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AiAccessDetail } from '../../scopes/index.ts';
import type { GrantStore } from '../../storage/grant-store.ts';
import type { RevocationStore } from '../../storage/revocation-store.ts';
import { withCurrentLimits } from './current-details.ts';
import type { AccessTokenVerifier } from './verify-access-token.ts';

export interface JwtTokenEndpointDeps {
  verifyAccessToken: AccessTokenVerifier;
  grants: GrantStore;
  revocations: RevocationStore;
  introspectionClientId: string;
}

/**
 * oidc-provider answers `unsupported_token_type` when a JWT access token reaches its
 * introspection or revocation endpoint. This post-middleware answers for our own JWTs
 * instead, after the caller has authenticated:
 * - introspection (the proxy only): active unless expired, its grant revoked or ended,
 *   or its token id revoked; `authorization_details` with the grant's current limits;
 * - revocation (the client it was issued to): revokes that token id, durably and logged.
 */
export function createJwtTokenEndpoints({
  verifyAccessToken,
  grants,
  revocations,
  introspectionClientId,
}: JwtTokenEndpointDeps) {
  async function currentDetails(details: AiAccessDetail[], grantId: string) {
    const grant = await grants.find(grantId);
    return grant ? withCurrentLimits(details, grant.limits) : details;
  }
  return async function jwtTokenEndpoints(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
    await next();
    const route = ctx.oidc?.route;
    if (route !== 'introspection' && route !== 'revocation') return;
    if (
      ctx.status !== 400 ||
      (ctx.body as { error?: string } | undefined)?.error !== 'unsupported_token_type'
    )
      return;
    const client = ctx.oidc.client;
    if (!client) return;
    const claims = await verifyAccessToken(ctx.oidc.params?.token);
    // For the log line of this call (log-provider-events.ts): ids only, never the token.
    if (claims) ctx.state.jwtAccessToken = { grantId: claims.grant_id, clientId: claims.client_id };

    if (route === 'introspection') {
      ctx.status = 200;
      ctx.body = { active: false };
      if (!claims || client.clientId !== introspectionClientId) return;
      const [live, revoked] = await Promise.all([
        grants.isLive(claims.grant_id),
        revocations.isTokenRevoked(claims.jti),
      ]);
      if (!live || revoked) return;
      // The limits as they stand now: the person may have lowered them since issuance.
      const details = Array.isArray(claims.authorization_details)
        ? await currentDetails(claims.authorization_details as AiAccessDetail[], claims.grant_id)
        : undefined;
      // A child of token exchange: who acts (`act`, RFC 8693 §4.1) and the chain of
      // grants it was carved from, nearest first.
      const chain = claims.act === undefined ? [] : (await grants.chain(claims.grant_id)).slice(1);
      const jkt = claims.cnf?.jkt;
      const bound = typeof jkt === 'string';
      ctx.body = {
        active: true,
        token_type: bound ? 'DPoP' : 'Bearer',
        ...(bound ? { cnf: { jkt } } : {}),
        iss: claims.iss,
        sub: claims.sub,
        aud: claims.aud,
        client_id: claims.client_id,
        scope: claims.scope,
        ...(details ? { authorization_details: details } : {}),
        jti: claims.jti,
        grant_id: claims.grant_id,
        ...(claims.act === undefined
          ? {}
          : {
              act: claims.act,
              parent_grant_id: chain[0]?.id,
              grant_chain: chain.map((g) => g.id),
            }),
        iat: claims.iat,
        exp: claims.exp,
      };
      return;
    }

    ctx.status = 200;
    ctx.body = '';
    if (!claims) return;
    if (claims.client_id !== client.clientId) {
      if (client.clientAuthMethod === 'none') return;
      ctx.status = 400;
      ctx.body = {
        error: 'invalid_request',
        error_description: 'client is not authorized to revoke the presented token',
      };
      return;
    }
    await revocations.revokeToken(claims.jti, claims.grant_id, claims.exp * 1000, 'access_token_revoked');
  };
}
