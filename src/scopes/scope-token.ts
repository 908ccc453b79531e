/**
 * RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ),
 * i.e. visible ASCII except `"` and `\`.
 */
export function isScopeTokenChar(code: number): boolean {
  return code === 0x21 || (code >= 0x23 && code <= 0x5b) || (code >= 0x5d && code <= 0x7e);
}

/** The first character that may not appear in a scope token, or undefined if there is none. */
export function findInvalidScopeChar(value: string): string | undefined {
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (!isScopeTokenChar(code)) return char;
  }
  return undefined;
}

export function isScopeToken(value: string): boolean {
  return value.length > 0 && findInvalidScopeChar(value) === undefined;
}

/** `U+0022` style name for a character, safe to put in an OAuth error_description. */
export function codePointName(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}
