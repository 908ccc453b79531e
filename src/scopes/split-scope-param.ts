/**
 * Splits an OAuth `scope` parameter on spaces (RFC 6749 section 3.3), dropping empty
 * entries and duplicates, keeping first-seen order. Only U+0020 separates: tabs and
 * other whitespace stay inside a value, which then fails `parseScope`.
 */
export function splitScopeParam(param: string | undefined | null): string[] {
  if (typeof param !== 'string') return [];
  return [...new Set(param.split(' ').filter((value) => value !== ''))];
}
