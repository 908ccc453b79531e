import { parseScope } from './parse-scope.ts';
import { modelCovers } from './scope-covers.ts';

/**
 * Whether any granted scope covers a request for `model` with `capability` at `provider`.
 * Granted values that are not valid AI scopes (OIDC scopes, garbage) are ignored.
 * `model` is compared as given: only a `*` grant covers a model that is empty, oddly
 * spelled or absent, so callers need no extra care to stay closed.
 */
export function scopesAllow(
  grantedScopes: readonly string[],
  provider: string,
  model: string,
  capability: string,
): boolean {
  for (const granted of grantedScopes) {
    const parsed = parseScope(granted);
    if (parsed.ok && modelCovers(parsed.scope, provider, model, capability)) return true;
  }
  return false;
}
