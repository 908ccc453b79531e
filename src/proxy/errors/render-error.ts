import type { Provider } from '../../scopes/index.ts';
import type { ProxyError, ProxyErrorCode } from './proxy-error.ts';

const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  504: 'timeout_error',
};

const OPENAI_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  413: 'invalid_request_error',
  429: 'requests',
};

const NEVER_RETRY = new Set<ProxyErrorCode>([
  'upstream_key_rejected',
  'no_provider_key',
  'limit_reached',
  'limit_unenforceable',
]);

export interface RenderedError {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The one place a refusal becomes a response, in the provider's own error shape so the
 * official SDKs raise their usual exceptions: OpenAI `{error:{message,type,param,code}}`,
 * Anthropic `{type:"error",error:{type,message}}`. 401 and 403 carry RFC 6750
 * `WWW-Authenticate` with the RFC 9728 resource metadata URL and a `scope`: on a 401 the
 * scopes an app may ask for (`challengeScope`), on a 403 the one it lacks.
 */
export function renderError(
  provider: Provider | undefined,
  err: ProxyError,
  resourceMetadataUrl: string,
  challengeScope = '',
): RenderedError {
  const status = err.status;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const message = `Mandate: ${err.message}`;
  if (err.code === 'missing_token') {
    // RFC 6750 §3.1: a request without credentials gets the challenge but no error code.
    headers['www-authenticate'] =
      `Bearer realm="mandate", resource_metadata="${resourceMetadataUrl}"${scopeParam(challengeScope)}`;
  } else if (status === 401) {
    headers['www-authenticate'] =
      `Bearer realm="mandate", error="invalid_token", error_description="${quote(err.message)}", resource_metadata="${resourceMetadataUrl}"${scopeParam(challengeScope)}`;
  } else if (err.code === 'insufficient_scope') {
    headers['www-authenticate'] =
      `Bearer realm="mandate", error="insufficient_scope", scope="${quote(err.scope ?? '')}", resource_metadata="${resourceMetadataUrl}"`;
  }
  // Retrying cannot fix these; the SDKs would otherwise retry 5xx by themselves.
  if (NEVER_RETRY.has(err.code)) headers['x-should-retry'] = 'false';
  Object.assign(headers, err.headers);
  const body =
    provider === 'anthropic'
      ? { type: 'error', error: { type: ANTHROPIC_TYPES[status] ?? 'api_error', message } }
      : { error: { message, type: OPENAI_TYPES[status] ?? 'server_error', param: null, code: err.code } };
  return { status, headers, body: JSON.stringify(body) };
}

function scopeParam(scope: string): string {
  return scope ? `, scope="${quote(scope)}"` : '';
}

function quote(value: string): string {
  return value.replace(/["\\\r\n]/g, ' ');
}
