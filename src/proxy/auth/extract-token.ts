import { ProxyError } from '../errors/proxy-error.ts';

const AUTHORIZATION = /^(Bearer|DPoP) ([A-Za-z0-9\-._~+/]+=*)$/;

export interface PresentedToken {
  token: string;
  /** How it came: `Authorization: DPoP` (RFC 9449 §7.1, a proof must come with it), else as a bearer token. */
  scheme: 'Bearer' | 'DPoP';
}

/**
 * The access token from `Authorization: Bearer` (RFC 6750), `Authorization: DPoP`
 * (RFC 9449) or `x-api-key`, the headers the official SDKs put their API key in, or the
 * provider's own API-key header (`tokenHeader`: Gemini's `x-goog-api-key`, on its paths
 * only). Two present and different is refused.
 */
export function extractToken(
  headers: Record<string, string | string[] | undefined>,
  tokenHeader?: string,
): PresentedToken {
  const authorization = headers.authorization;
  const xApiKey = headers['x-api-key'];
  const providerKey = tokenHeader === undefined ? undefined : headers[tokenHeader];
  if (Array.isArray(authorization) || Array.isArray(xApiKey) || Array.isArray(providerKey)) {
    throw new ProxyError('invalid_request', 'send the access token once');
  }
  const fromProviderKey = providerKey?.trim() || undefined;
  if (xApiKey?.trim() && fromProviderKey && xApiKey.trim() !== fromProviderKey) {
    throw new ProxyError('invalid_request', `x-api-key and ${tokenHeader} carry different tokens`);
  }
  const apiKey = xApiKey?.trim() ? xApiKey : providerKey;
  let fromAuthorization: string | undefined;
  let scheme: PresentedToken['scheme'] = 'Bearer';
  if (authorization !== undefined) {
    const match = AUTHORIZATION.exec(authorization);
    if (!match)
      throw new ProxyError(
        'invalid_token',
        'the Authorization header must be "Bearer <access token>" or "DPoP <access token>"',
      );
    scheme = match[1] as PresentedToken['scheme'];
    fromAuthorization = match[2];
  }
  const fromApiKey = apiKey?.trim() || undefined;
  if (fromAuthorization && fromApiKey && fromAuthorization !== fromApiKey) {
    throw new ProxyError('invalid_request', 'Authorization and x-api-key carry different tokens');
  }
  const token = fromAuthorization ?? fromApiKey;
  if (!token)
    throw new ProxyError('missing_token', 'no access token: send it as the API key (Authorization: Bearer)');
  return { token, scheme };
}
