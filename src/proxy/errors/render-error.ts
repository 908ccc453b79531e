import { DPOP_ALGORITHMS } from '../../shared/dpop-algorithms.ts';
import { PROVIDER_SPECS, type ProviderSpec } from '../endpoints/index.ts';
import type { ProxyError, ProxyErrorCode } from './proxy-error.ts';

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
 * The one place a refusal becomes a response, in the provider's own error shape (its
 * spec's `errorBody`) so the official SDKs raise their usual exceptions; without a
 * provider, OpenAI's. 401 and 403 carry RFC 6750 `WWW-Authenticate` with the RFC 9728
 * resource metadata URL and a `scope`: on a 401 the scopes an app may ask for
 * (`challengeScope`), on a 403 the one it lacks. A refusal of a DPoP-bound token, or of
 * its proof, challenges with the `DPoP` scheme and the proof algorithms (RFC 9449 §7.1).
 */
export function renderError(
  provider: ProviderSpec | undefined,
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
  } else if (status === 401 && err.challenge === 'DPoP') {
    headers['www-authenticate'] =
      `DPoP realm="mandate", error="${err.code}", error_description="${quote(err.message)}", algs="${DPOP_ALGORITHMS.join(' ')}", resource_metadata="${resourceMetadataUrl}"`;
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
  const body = (provider ?? PROVIDER_SPECS.openai).errorBody(status, err.code, message);
  return { status, headers, body: JSON.stringify(body) };
}

function scopeParam(scope: string): string {
  return scope ? `, scope="${quote(scope)}"` : '';
}

function quote(value: string): string {
  return value.replace(/["\\\r\n]/g, ' ');
}
