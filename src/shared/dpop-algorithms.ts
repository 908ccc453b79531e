/**
 * The DPoP proof algorithms (RFC 9449) Mandate accepts: the authorization server's
 * `dpop_signing_alg_values_supported`, and what the proxy's proof check allows.
 */
export const DPOP_ALGORITHMS: Array<'ES256' | 'Ed25519' | 'EdDSA'> = ['ES256', 'Ed25519', 'EdDSA'];
