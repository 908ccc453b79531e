import type { Capability } from './capability-table.ts';
import { parseScope } from './parse-scope.ts';
import type { Provider } from './providers.ts';
import { ANY_MODEL } from './scope.ts';
import { scopesAllow } from './scopes-allow.ts';

/**
 * The scope a request would need, for a 403 `insufficient_scope` (RFC 6750 `scope`
 * attribute), or undefined when the granted scopes already allow it. When the model
 * cannot be written as a scope (empty, spaces, quotes, a `*` inside it…), only the
 * provider's `*` scope could cover it, so that is what is returned.
 */
export function findMissingScope(
  grantedScopes: readonly string[],
  provider: Provider,
  model: string,
  capability: Capability,
): string | undefined {
  if (scopesAllow(grantedScopes, provider, model, capability)) return undefined;
  const exact = `${provider}:${model}:${capability}`;
  if (parseScope(exact).ok) return exact;
  return `${provider}:${ANY_MODEL}:${capability}`;
}
