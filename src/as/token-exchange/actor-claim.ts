import { errors } from 'oidc-provider';
import type { Stores } from '../../storage/index.ts';
import type { AccessTokenVerifier } from '../provider/verify-access-token.ts';
import { ACCESS_TOKEN_TYPE, one } from './token-types.ts';

/** A sub-agent's name: 1–100 printable ASCII characters, no leading or trailing space. */
const ACTOR_NAME = /^[\x21-\x7e](?:[\x20-\x7e]{0,98}[\x21-\x7e])?$/;

/**
 * The `act` claim of a child token (RFC 8693 §4.1): the sub-agent named by `actor`, or by
 * `actor_token`, a live access token of this server (its subject and client). Exactly one.
 */
export async function actorClaim(
  params: Record<string, unknown>,
  {
    verifyAccessToken,
    stores,
  }: { verifyAccessToken: AccessTokenVerifier; stores: Pick<Stores, 'grants' | 'revocations'> },
): Promise<Record<string, unknown>> {
  const name = one(params.actor);
  const token = one(params.actor_token);
  if (name !== undefined && token !== undefined)
    throw new errors.InvalidRequest('name the sub-agent with actor or actor_token, not both');
  if (token !== undefined) {
    if (one(params.actor_token_type) !== ACCESS_TOKEN_TYPE)
      throw new errors.InvalidRequest(`actor_token_type must be ${ACCESS_TOKEN_TYPE}`);
    const claims = await verifyAccessToken(token);
    if (
      !claims ||
      (await stores.revocations.isTokenRevoked(claims.jti)) ||
      !(await stores.grants.isLive(claims.grant_id))
    )
      throw new errors.InvalidRequest('actor_token is not a live access token of this server');
    return { sub: claims.sub, client_id: claims.client_id };
  }
  if (params.actor_token_type !== undefined)
    throw new errors.InvalidRequest('actor_token_type without actor_token');
  if (name === undefined) throw new errors.InvalidRequest('name the sub-agent with actor or actor_token');
  if (!ACTOR_NAME.test(name))
    throw new errors.InvalidRequest('actor must be 1 to 100 printable ASCII characters');
  return { sub: name };
}
