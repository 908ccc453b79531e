import { describeScope, parseScope, providerDisplayName, type Scope } from '../../scopes/index.ts';
import type { ScopeGroupView } from '../views/index.ts';

/**
 * The consent page's groups: every offered scope in plain words, by provider; those in
 * `kept` are the ones the person already allowed this app (step-up), marked so.
 */
export function groupScopesForConsent(
  scopes: readonly string[],
  kept: readonly string[] = [],
): ScopeGroupView[] {
  const groups = new Map<string, ScopeGroupView>();
  for (const value of scopes) {
    const parsed = parseScope(value);
    if (!parsed.ok) continue;
    const scope: Scope = parsed.scope;
    const name = providerDisplayName(scope.provider);
    let group = groups.get(name);
    if (!group) {
      group = { provider: name, scopes: [] };
      groups.set(name, group);
    }
    group.scopes.push({ value, text: describeScope(scope), ...(kept.includes(value) ? { kept: true } : {}) });
  }
  return [...groups.values()];
}
