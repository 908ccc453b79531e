import { parseScope } from './parse-scope.ts';
import { ANY_MODEL, type Scope } from './scope.ts';

/**
 * Whether a granted (or allowed) pattern covers a scope: provider and capability must be
 * equal, and the pattern's model must be `*` or exactly the scope's model. An exact model
 * covers only itself, never `*`. Strings that do not parse cover nothing and are covered
 * by nothing.
 */
export function scopeCovers(pattern: Scope | string, scope: Scope | string): boolean {
  const p = toScope(pattern);
  const s = toScope(scope);
  if (p === undefined || s === undefined) return false;
  return modelCovers(p, s.provider, s.model, s.capability);
}

/** Coverage of a raw request triple; the model may be any string (`*` covers them all). */
export function modelCovers(pattern: Scope, provider: string, model: string, capability: string): boolean {
  return (
    pattern.provider === provider &&
    pattern.capability === capability &&
    (pattern.model === ANY_MODEL || pattern.model === model)
  );
}

function toScope(value: Scope | string): Scope | undefined {
  if (typeof value !== 'string') return value;
  const parsed = parseScope(value);
  return parsed.ok ? parsed.scope : undefined;
}
