import { randomBytes } from 'node:crypto';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import {
  AI_ACCESS_TYPE,
  type AiAccessDetail,
  type Provider,
  parseScope,
  scopeCovers,
  splitScopeParam,
} from '../../scopes/index.ts';
import type { Stores } from '../../storage/index.ts';
import { withCurrentLimits } from '../provider/current-details.ts';
import type { AccessTokenVerifier } from '../provider/verify-access-token.ts';
import { actorClaim } from './actor-claim.ts';
import { carveLimits } from './carve-limits.ts';
import { requestedLimits } from './requested-limits.ts';
import { ACCESS_TOKEN_TYPE, one, TOKEN_EXCHANGE } from './token-types.ts';

export { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE };

/** The parameters the grant reads (RFC 8693 §2.1, plus `actor` and `expires_in`). */
export const TOKEN_EXCHANGE_PARAMETERS = [
  'subject_token',
  'subject_token_type',
  'actor_token',
  'actor_token_type',
  'actor',
  'requested_token_type',
  'scope',
  'resource',
  'audience',
  'expires_in',
  'authorization_details',
];

export interface TokenExchangeDeps {
  proxyUrl: string;
  /** The deepest a chain may go: a person's grant is depth 0, its child 1, … */
  maxDepth: number;
  /** The most live children one grant may have at once (`as.tokenExchange.maxLiveChildren`). */
  maxLiveChildren: number;
  verifyAccessToken: AccessTokenVerifier;
  stores: Pick<Stores, 'grants' | 'revocations' | 'clock'>;
  /** Claims the issued token carries beyond oidc-provider's (`act`), read by `extraTokenClaims`. */
  extraClaims: WeakMap<object, Record<string, unknown>>;
}

/**
 * RFC 8693 token exchange for sub-agents. An app presents an access token of its own
 * (`subject_token`) and gets a child access token of a new child grant: scopes within the
 * subject token's (invalid_scope otherwise), a life within the subject token's and the
 * parent grant's (and `expires_in` if shorter), caps carved out of what the parent has
 * left (carve-limits.ts), and an `act` claim naming the sub-agent, nested over the
 * parent's own `act` (§4.1). At most `maxDepth` levels deep (invalid_request beyond).
 * No refresh token: a sub-agent asks its parent again.
 */
export function createTokenExchangeGrant({
  proxyUrl,
  maxDepth,
  maxLiveChildren,
  verifyAccessToken,
  stores,
  extraClaims,
}: TokenExchangeDeps) {
  /** The child's scopes: the ones asked for (else the subject token's), each within the subject token's. */
  function scopesOf(asked: string | undefined, parentScopes: readonly string[]): string[] {
    if (asked === undefined) return [...parentScopes];
    const scopes = splitScopeParam(asked);
    if (scopes.length === 0)
      throw new errors.InvalidScope('request at least one AI scope', undefined as never);
    for (const scope of scopes) {
      const parsed = parseScope(scope);
      if (!parsed.ok) throw new errors.InvalidScope(`invalid scope ${scope}: ${parsed.reason}`, scope);
      if (!parentScopes.some((pattern) => scopeCovers(pattern, parsed.scope)))
        throw new errors.InvalidScope(`scope ${scope} is not within the subject token's scopes`, scope);
    }
    return [...new Set(scopes)];
  }

  return async function tokenExchangeGrant(ctx: KoaContextWithOIDC): Promise<void> {
    const { client, params, provider } = ctx.oidc;
    if (!client || !params) throw new errors.InvalidClient();
    if (one(params.subject_token_type) !== ACCESS_TOKEN_TYPE)
      throw new errors.InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
    const requestedType = one(params.requested_token_type);
    if (requestedType !== undefined && requestedType !== ACCESS_TOKEN_TYPE)
      throw new errors.InvalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
    for (const target of [params.resource, params.audience])
      if (target !== undefined && target !== proxyUrl)
        throw new errors.InvalidTarget(`unknown resource; the only resource is ${proxyUrl}`);

    const claims = await verifyAccessToken(params.subject_token);
    if (!claims) throw new errors.InvalidGrant('subject_token is not a valid access token of this server');
    if (claims.client_id !== client.clientId)
      throw new errors.InvalidGrant('subject_token was issued to another client');
    // A stolen DPoP-bound token must not buy an unbound child.
    if (claims.cnf?.jkt !== undefined)
      throw new errors.InvalidGrant('a DPoP-bound subject_token cannot be exchanged');
    const now = stores.clock();
    const parent = await stores.grants.find(claims.grant_id);
    if (
      !parent ||
      parent.revokedAt !== null ||
      parent.expiresAt <= now ||
      (await stores.revocations.isTokenRevoked(claims.jti))
    )
      throw new errors.InvalidGrant('subject_token has been revoked or its grant has ended');
    const depth = parent.depth + 1;
    if (depth > maxDepth)
      throw new errors.InvalidRequest(`a chain of token exchanges may be at most ${maxDepth} deep`);

    const scopes = scopesOf(one(params.scope), splitScopeParam(claims.scope));
    const providers = [
      ...new Set(
        scopes.map((s) => (parseScope(s) as { ok: true; scope: { provider: Provider } }).scope.provider),
      ),
    ];
    const asked = requestedLimits(params.authorization_details, new Set(providers));

    // The child lives no longer than the subject token, nor than `expires_in` if shorter.
    let lifeSeconds = Math.floor((Math.min(claims.exp * 1000, parent.expiresAt) - now) / 1000);
    const wanted = one(params.expires_in);
    if (wanted !== undefined) {
      if (!/^[1-9][0-9]{0,9}$/.test(wanted))
        throw new errors.InvalidRequest('expires_in must be a positive integer');
      lifeSeconds = Math.min(lifeSeconds, Number(wanted));
    }
    if (lifeSeconds < 1) throw new errors.InvalidGrant('subject_token expires too soon to be exchanged');

    const act = await actorClaim(params, { verifyAccessToken, stores });
    const chainedAct = parent.act ? { ...act, act: parent.act } : act;
    const limits = carveLimits(parent.limits, await stores.grants.chargedNow(parent), providers, asked);
    const grantId = randomBytes(18).toString('base64url');
    const recorded = await stores.grants.record({
      id: grantId,
      accountId: parent.accountId,
      clientId: client.clientId,
      scopes,
      expiresAt: now + lifeSeconds * 1000,
      limits,
      child: { parentGrantId: parent.id, depth, act: chainedAct, maxLiveChildren },
    });
    if (recorded === 'too_many_children')
      throw new errors.InvalidRequest(
        `this access already has ${maxLiveChildren} live sub-agents; revoke one or wait until one ends`,
      );
    if (!recorded) throw new errors.InvalidGrant('subject_token has been revoked or its grant has ended');

    const details: AiAccessDetail[] = withCurrentLimits(
      providers.map((p) => ({ type: AI_ACCESS_TYPE, provider: p })),
      limits,
    );
    const token = new provider.AccessToken({
      accountId: parent.accountId,
      client,
      grantId,
      gty: 'token_exchange',
      scope: scopes.join(' '),
      expiresIn: lifeSeconds,
    });
    token.resourceServer = new provider.ResourceServer(proxyUrl, {
      scope: scopes.join(' '),
      audience: proxyUrl,
      accessTokenTTL: lifeSeconds,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: 'ES256' } },
    });
    (token as unknown as { rar?: unknown }).rar = details;
    extraClaims.set(token, { act: chainedAct });
    ctx.oidc.entity('AccessToken', token);
    const value = await token.save();
    ctx.body = {
      access_token: value,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: lifeSeconds,
      scope: scopes.join(' '),
      authorization_details: details,
    };
  };
}
