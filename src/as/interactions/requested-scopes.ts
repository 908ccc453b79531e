import { describeScope, parseScope, providerDisplayName, type Scope } from '../../scopes/index.ts';
import type { ScopeGroupView } from '../views/index.ts';

/** The consent page's groups: every requested scope in plain words, by provider. */
export function groupScopesForConsent(scopes: readonly string[]): ScopeGroupView[] {
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
    group.scopes.push({ value, text: describeScope(scope) });
  }
  return [...groups.values()];
}
