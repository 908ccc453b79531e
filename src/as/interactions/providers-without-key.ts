import { type Provider, parseScope } from '../../scopes/index.ts';

/**
 * The providers among `scopes` that no key can serve for this person: none stored by
 * them and none configured by the operator. In the order the scopes name them.
 */
export function providersWithoutKey(
  scopes: readonly string[],
  stored: readonly string[],
  operator: readonly string[],
): Provider[] {
  const out: Provider[] = [];
  for (const value of scopes) {
    const parsed = parseScope(value);
    if (!parsed.ok) continue;
    const { provider } = parsed.scope;
    if (!stored.includes(provider) && !operator.includes(provider) && !out.includes(provider))
      out.push(provider);
  }
  return out;
}
