/** Request headers an app may send that are passed upstream unchanged. */
export const PASSED_CLIENT_HEADERS: ReadonlySet<string> = new Set([
  'accept',
  'content-type',
  'user-agent',
  'idempotency-key',
  'x-stainless-lang',
  'x-stainless-package-version',
  'x-stainless-os',
  'x-stainless-arch',
  'x-stainless-runtime',
  'x-stainless-runtime-version',
  'x-stainless-retry-count',
  'x-stainless-timeout',
  'x-stainless-helper-method',
  'anthropic-version',
  'anthropic-dangerous-direct-browser-access',
]);

/**
 * What a browser app may send cross-origin: the passed headers, its token (either
 * header) and `anthropic-beta` (filtered by the operator's allowlist before forwarding).
 */
export const CORS_ALLOWED_HEADERS: readonly string[] = [
  ...PASSED_CLIENT_HEADERS,
  'authorization',
  'x-api-key',
  'anthropic-beta',
  // @google/genai: its API key (the access token on /google paths; never forwarded) and client tag.
  'x-goog-api-key',
  'x-goog-api-client',
];
