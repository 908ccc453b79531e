/** Every way the proxy refuses a request, each with one status (see `statusOf`). */
export type ProxyErrorCode =
  | 'missing_token'
  | 'invalid_token'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'insufficient_scope'
  | 'origin_not_allowed'
  | 'unknown_endpoint'
  | 'endpoint_denied'
  | 'stored_state_denied'
  | 'header_not_allowed'
  | 'invalid_request'
  | 'invalid_json'
  | 'missing_model'
  | 'body_too_large'
  | 'no_provider_key'
  | 'limit_reached'
  | 'limit_busy'
  | 'limit_unenforceable'
  | 'rate_limited'
  | 'upstream_key_rejected'
  | 'upstream_unreachable'
  | 'upstream_timeout'
  | 'unavailable'
  | 'internal';

const STATUS: Record<ProxyErrorCode, number> = {
  missing_token: 401,
  invalid_token: 401,
  invalid_dpop_proof: 401,
  use_dpop_nonce: 401,
  insufficient_scope: 403,
  origin_not_allowed: 403,
  unknown_endpoint: 404,
  endpoint_denied: 403,
  stored_state_denied: 403,
  header_not_allowed: 400,
  invalid_request: 400,
  invalid_json: 400,
  missing_model: 400,
  body_too_large: 413,
  no_provider_key: 403,
  limit_reached: 403,
  limit_busy: 429,
  limit_unenforceable: 403,
  rate_limited: 429,
  upstream_key_rejected: 502,
  upstream_unreachable: 502,
  upstream_timeout: 504,
  unavailable: 503,
  internal: 500,
};

export function statusOf(code: ProxyErrorCode): number {
  return STATUS[code];
}

/** A refusal with a stable code and a message safe to show the app (never a secret). */
export class ProxyError extends Error {
  override name = 'ProxyError';
  readonly code: ProxyErrorCode;
  /** For `insufficient_scope`: the scope that would have allowed the request. */
  readonly scope: string | undefined;
  /** Headers the refusal carries (`retry-after` for a rate limit). */
  readonly headers: Readonly<Record<string, string>>;
  /** The 401 challenge's scheme: `DPoP` (RFC 9449 §7.1) when the token is or was sent DPoP-bound. */
  readonly challenge: 'Bearer' | 'DPoP';
  constructor(
    code: ProxyErrorCode,
    message: string,
    {
      scope,
      headers = {},
      challenge = 'Bearer',
    }: { scope?: string; headers?: Record<string, string>; challenge?: 'Bearer' | 'DPoP' } = {},
  ) {
    super(message);
    this.code = code;
    this.scope = scope;
    this.headers = headers;
    this.challenge = challenge;
  }
  get status(): number {
    return statusOf(this.code);
  }
}
