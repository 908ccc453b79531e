import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import {
  AI_ACCESS_TYPE,
  type AiAccessDetail,
  parseAiAccessDetail,
  parseAiAccessDetails,
  parseScope,
  splitScopeParam,
} from '../../scopes/index.ts';
import type { GrantLimits } from '../../storage/grant-limits.ts';
import { TOKEN_EXCHANGE } from '../token-exchange/token-exchange-grant.ts';
import { withCurrentLimits } from './current-details.ts';

type WithRar = { rar?: AiAccessDetail[]; grantId?: string };

/** Providers named by the request's AI scopes. */
function requestedProviders(ctx: KoaContextWithOIDC): Set<string> {
  const out = new Set<string>();
  for (const scope of splitScopeParam(ctx.oidc.params?.scope as string | undefined)) {
    const parsed = parseScope(scope);
    if (parsed.ok) out.add(parsed.scope.provider);
  }
  return out;
}

/**
 * RFC 9396 rich authorization requests, type `ai_access` only. The details an app asks
 * for are checked strictly here; what the person grants on the consent page is stored on
 * the grant (`grant.rar`) and is the only thing codes, tokens and introspection carry.
 * Access tokens (refreshed ones too) and introspection say the limits as they stand
 * when asked (`currentLimits`: the person may have lowered them since the consent).
 */
export function createRichAuthorizationRequests(
  deps: { currentLimits?(grantId: string): Promise<GrantLimits | undefined> } = {},
) {
  async function current(details: AiAccessDetail[] | undefined, grantId: string | undefined) {
    if (!details || !grantId || !deps.currentLimits) return details;
    const limits = await deps.currentLimits(grantId);
    return limits ? withCurrentLimits(details, limits) : details;
  }
  return {
    enabled: true,
    types: {
      [AI_ACCESS_TYPE]: {
        async validate(ctx: KoaContextWithOIDC, detail: unknown) {
          // A token exchange asks for a child's caps; its grant checks them (token-exchange/).
          if (ctx.oidc.route === 'token' && ctx.oidc.params?.grant_type === TOKEN_EXCHANGE) return;
          if (ctx.oidc.route === 'token') {
            throw new errors.InvalidAuthorizationDetails(
              'authorization_details are set when the person consents; do not send them to the token endpoint',
            );
          }
          const one = parseAiAccessDetail(detail);
          if (!one.ok) throw new errors.InvalidAuthorizationDetails(one.reason);
          // Array-wide rules (one detail per provider) need the whole parameter.
          const all = parseAiAccessDetails(JSON.parse(String(ctx.oidc.params?.authorization_details)));
          if (!all.ok) throw new errors.InvalidAuthorizationDetails(all.reason);
          if (!requestedProviders(ctx).has(one.detail.provider)) {
            throw new errors.InvalidAuthorizationDetails(
              `authorization details for ${one.detail.provider} need at least one ${one.detail.provider} scope`,
            );
          }
        },
      },
    },
    // The authorization code carries what the person granted, not what the app asked.
    async authorizationDetailsForGrantSource(ctx: KoaContextWithOIDC) {
      const oidc = ctx.oidc as unknown as { grant?: WithRar; entities: { Grant?: WithRar } };
      return (oidc.grant ?? oidc.entities.Grant)?.rar;
    },
    // Access tokens (and, through them, refresh tokens) carry the code's or refresh
    // token's details, which are the grant's, with its limits as they are now.
    async authorizationDetailsForAccessToken(
      _ctx: KoaContextWithOIDC,
      token: WithRar | undefined,
      source: WithRar | undefined,
    ) {
      return current(source?.rar, token?.grantId ?? source?.grantId);
    },
    async authorizationDetailsForIntrospection(_ctx: KoaContextWithOIDC, token: WithRar) {
      return current(token.rar, token.grantId);
    },
  };
}
