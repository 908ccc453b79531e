/**
 * RFC 9728 protected resource metadata: where to get tokens for this proxy, and the
 * scope forms an app may ask for (MCP clients ask for `scopes_supported` when a 401
 * names no scope). Nothing is signed, so no signing algorithms are advertised.
 */
export function protectedResourceMetadata(proxyUrl: string, issuer: string, scopes: readonly string[]) {
  return {
    resource: proxyUrl,
    authorization_servers: [issuer],
    bearer_methods_supported: ['header'],
    scopes_supported: [...scopes],
    resource_name: 'Mandate AI proxy',
    resource_documentation: `${issuer}/`,
  };
}
