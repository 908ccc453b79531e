import { errors, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';
import { isAiScope, parseScope, scopeCovers, splitScopeParam } from '../../scopes/index.ts';
import { clientKind } from '../open-door/client-kind.ts';

export interface ResourceServerDeps {
  /** The proxy's URL: the only resource, and the access tokens' audience. */
  proxyUrl: string;
  accessTokenTtl: number;
  /** The most an app the operator did not register may ask for (`as.openDoor.scopes`). */
  openDoorScopes: readonly string[];
}

type ClientLike = { clientId: string; allowed_ai_scopes?: string };

/** The AI scopes a client was registered for (patterns such as `openai:*:chat`). */
export function allowedScopesOf(client: ClientLike): string[] {
  return splitScopeParam(client.allowed_ai_scopes);
}

/**
 * What a client may ask for: an operator's client what it was registered for; an app
 * that registered itself or is known by its metadata document at most the operator's
 * open-door scopes (narrowed to what it registered for, if it said), read at each
 * request so a tightened policy applies to apps already known.
 */
export function allowedScopesFor(client: ClientLike, openDoorScopes: readonly string[]): string[] {
  const own = allowedScopesOf(client);
  if (clientKind(client.clientId) === 'operator') return own;
  if (own.length === 0) return [...openDoorScopes];
  return own.filter((s) => openDoorScopes.some((pattern) => scopeCovers(pattern, s)));
}

/**
 * oidc-provider drops scopes it does not know, silently. Mandate refuses them instead:
 * at the authorization endpoint every requested AI scope must parse and be within the
 * client's allowed scopes, else `invalid_scope`. At the token endpoint there is no
 * `scope` parameter to read, so the scopes come from the grant the person approved.
 */
export function createGetResourceServerInfo({
  proxyUrl,
  accessTokenTtl,
  openDoorScopes,
}: ResourceServerDeps) {
  return async function getResourceServerInfo(
    ctx: KoaContextWithOIDC,
    resourceIndicator: string,
    client: ClientLike,
  ): Promise<ResourceServer> {
    if (resourceIndicator !== proxyUrl) {
      throw new errors.InvalidTarget(`unknown resource; the only resource is ${proxyUrl}`);
    }
    const grant = ctx.oidc.entities.Grant as { resources?: Record<string, string> } | undefined;
    let scopes: string[];
    if (grant) {
      scopes = splitScopeParam(grant.resources?.[resourceIndicator]);
    } else {
      scopes = splitScopeParam(ctx.oidc.params?.scope as string | undefined).filter(isAiScope);
      if (scopes.length === 0) {
        // No scope to name: oidc-provider would otherwise send a literal `scope=scope` back.
        throw new errors.InvalidScope(
          'request at least one AI scope, such as openai:gpt-4o-mini:chat',
          undefined as unknown as string,
        );
      }
      const allowed = allowedScopesFor(client, openDoorScopes);
      for (const scope of scopes) {
        const parsed = parseScope(scope);
        if (!parsed.ok) throw new errors.InvalidScope(`invalid scope ${scope}: ${parsed.reason}`, scope);
        if (!allowed.some((pattern) => scopeCovers(pattern, parsed.scope))) {
          throw new errors.InvalidScope(`scope ${scope} is not allowed for this client`, scope);
        }
      }
    }
    return {
      scope: scopes.join(' '),
      audience: proxyUrl,
      accessTokenTTL: accessTokenTtl,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: 'ES256' } },
    };
  };
}
