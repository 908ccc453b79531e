/** Response headers a browser app may read (SDK retry hints, request ids, challenges). */
export const EXPOSED_HEADERS =
  'www-authenticate, dpop-nonce, retry-after, retry-after-ms, x-should-retry, x-mandate-request-id, x-mandate-output-bound, x-mandate-raise-limit, x-request-id, request-id, openai-processing-ms';

/** The CORS headers of an answer (or refusal) a browser app at `origin` may read. */
export function corsHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': EXPOSED_HEADERS,
    vary: 'Origin',
  };
}
