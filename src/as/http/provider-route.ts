/**
 * A request path as oidc-provider's router matches it (`lib/helpers/router.js`): one
 * trailing slash dropped, letters compared without case. Middleware in front of one of
 * its endpoints must match the same way, or `/REG` and `/reg/` slip past it.
 */
export function providerRoute(path: string): { route: string; trimmed: string } {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return { route: trimmed.toLowerCase(), trimmed };
}
