import type { Scope } from './scope.ts';

/** The scope string for a parsed scope; `parseScope(formatScope(s))` gives `s` back. */
export function formatScope(scope: Scope): string {
  return `${scope.provider}:${scope.model}:${scope.capability}`;
}
