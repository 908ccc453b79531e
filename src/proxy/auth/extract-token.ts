import { ProxyError } from '../errors/proxy-error.ts';

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/;

/**
 * The access token from `Authorization: Bearer` (RFC 6750) or `x-api-key`, the headers
 * the official SDKs put their API key in. Both present and different is refused.
 */
export function extractToken(headers: Record<string, string | string[] | undefined>): string {
  const authorization = headers.authorization;
  const apiKey = headers['x-api-key'];
  if (Array.isArray(authorization) || Array.isArray(apiKey)) {
    throw new ProxyError('invalid_request', 'send the access token once');
  }
  let fromAuthorization: string | undefined;
  if (authorization !== undefined) {
    const match = BEARER.exec(authorization);
    if (!match)
      throw new ProxyError('invalid_token', 'the Authorization header must be "Bearer <access token>"');
    fromAuthorization = match[1];
  }
  const fromApiKey = apiKey?.trim() || undefined;
  if (fromAuthorization && fromApiKey && fromAuthorization !== fromApiKey) {
    throw new ProxyError('invalid_request', 'Authorization and x-api-key carry different tokens');
  }
  const token = fromAuthorization ?? fromApiKey;
  if (!token)
    throw new ProxyError('missing_token', 'no access token: send it as the API key (Authorization: Bearer)');
  return token;
}
