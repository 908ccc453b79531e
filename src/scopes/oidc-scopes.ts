/**
 * The OpenID Connect scopes (OIDC Core 1.0 sections 5.4, 11). Every other scope value
 * is a candidate AI scope and must parse as `provider:model:capability`.
 */
export const OIDC_SCOPES: ReadonlySet<string> = new Set([
  'openid',
  'offline_access',
  'profile',
  'email',
  'address',
  'phone',
]);

export function isOidcScope(scope: string): boolean {
  return OIDC_SCOPES.has(scope);
}

/** True for anything that is not an OIDC scope: it must then parse as an AI scope. */
export function isAiScope(scope: string): boolean {
  return !OIDC_SCOPES.has(scope);
}
