import type { Provider } from '../../scopes/index.ts';

/** Request headers only Anthropic reads: passed to Anthropic, dropped for the other providers. */
const ANTHROPIC_ONLY_HEADERS: readonly string[] = [
  'anthropic-version',
  'anthropic-dangerous-direct-browser-access',
];

/** Request headers an app may send that are passed upstream unchanged (to Anthropic; the others get `passedHeadersFor`). */
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
  ...ANTHROPIC_ONLY_HEADERS,
]);

const PASSED_TO_OTHERS: ReadonlySet<string> = new Set(
  [...PASSED_CLIENT_HEADERS].filter((name) => !ANTHROPIC_ONLY_HEADERS.includes(name)),
);

/** The passed headers for one provider, as a table built once (not filtered per request). */
export function passedHeadersFor(provider: Provider): ReadonlySet<string> {
  return provider === 'anthropic' ? PASSED_CLIENT_HEADERS : PASSED_TO_OTHERS;
}

/**
 * What a browser app may send cross-origin: the passed headers, its token (either
 * header) and `anthropic-beta` (filtered by the operator's allowlist before forwarding).
 */
export const CORS_ALLOWED_HEADERS: readonly string[] = [
  ...PASSED_CLIENT_HEADERS,
  'authorization',
  'x-api-key',
  // RFC 9449: the proof that comes with a DPoP-bound token (checked, never forwarded).
  'dpop',
  'anthropic-beta',
  // @google/genai: its API key (the access token on /google paths; never forwarded) and client tag.
  'x-goog-api-key',
  'x-goog-api-client',
];
