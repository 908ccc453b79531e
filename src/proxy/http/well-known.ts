import { DPOP_ALGORITHMS } from '../../shared/dpop-algorithms.ts';

/**
 * RFC 9728 protected resource metadata: where to get tokens for this proxy, and the
 * scope forms an app may ask for (MCP clients ask for `scopes_supported` when a 401
 * names no scope), and the DPoP proof algorithms it checks (bound tokens are accepted,
 * not required). Nothing is signed, so no signing algorithms are advertised.
 */
export function protectedResourceMetadata(proxyUrl: string, issuer: string, scopes: readonly string[]) {
  return {
    resource: proxyUrl,
    authorization_servers: [issuer],
    bearer_methods_supported: ['header'],
    scopes_supported: [...scopes],
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    dpop_bound_access_tokens_required: false,
    resource_name: 'Mandate AI proxy',
    resource_documentation: `${issuer}/`,
  };
}
