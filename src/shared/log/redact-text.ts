/*
 * What a secret looks like inside free text (an error message, a stack's first line):
 * bearer tokens, JWTs, provider keys, and `name=value` / `name: value` pairs whose name
 * says secret. Matching is by shape, so a value is hidden even where no path names it.
 */
export const CENSOR = '[redacted]';

const RULES: ReadonlyArray<readonly [RegExp, string]> = [
  // A JWT or JWE: base64url segments joined by dots, starting with an encoded `{"`.
  [/\beyJ[A-Za-z0-9_-]{5,}(?:\.[A-Za-z0-9_-]*){1,4}/g, CENSOR],
  // Provider keys: sk-…, sk-ant-…, sk-proj-…
  [/\bsk-[A-Za-z0-9_-]{6,}/g, CENSOR],
  // Authorization schemes with their credential.
  [/\b(Bearer|Basic|DPoP)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${CENSOR}`],
  // name=value and name: value pairs (query strings, forms, headers, JSON-ish text).
  [
    /\b(password|passwd|secret|client_secret|token|access_token|refresh_token|id_token|code|code_verifier|csrf|cookie|set-cookie|authorization|x-api-key|api[_-]?key)("?\s*[:=]\s*"?)[^\s&,"']+/gi,
    `$1$2${CENSOR}`,
  ],
];

export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  return out;
}
