/** RFC 8693 identifiers Mandate uses. */
export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** A parameter's value when it is one string (oidc-provider's params are untyped). */
export const one = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
