/** RFC 9728 protected resource metadata: where to get tokens for this proxy. */
export function protectedResourceMetadata(proxyUrl: string, issuer: string) {
  return {
    resource: proxyUrl,
    authorization_servers: [issuer],
    bearer_methods_supported: ['header'],
    resource_signing_alg_values_supported: ['ES256'],
    resource_name: 'Mandate AI proxy',
    resource_documentation: `${issuer}/`,
  };
}
