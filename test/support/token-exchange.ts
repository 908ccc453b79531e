import type * as oidc from 'openid-client';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export interface ExchangeAnswer {
  status: number;
  body: {
    access_token?: string;
    issued_token_type?: string;
    token_type?: string;
    expires_in?: number;
    scope?: string;
    authorization_details?: Array<Record<string, unknown>>;
    error?: string;
    error_description?: string;
  };
}

/**
 * RFC 8693 token exchange as an app does it with plain fetch: the public app's
 * client_id, its access token as the subject token, and the sub-agent's name.
 */
export async function exchangeToken(
  config: oidc.Configuration,
  subjectToken: string,
  params: Record<string, string> = {},
): Promise<ExchangeAnswer> {
  const { token_endpoint } = config.serverMetadata();
  const response = await fetch(String(token_endpoint), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: TOKEN_EXCHANGE,
      client_id: config.clientMetadata().client_id,
      subject_token: subjectToken,
      subject_token_type: ACCESS_TOKEN_TYPE,
      ...params,
    }),
  });
  return { status: response.status, body: (await response.json()) as ExchangeAnswer['body'] };
}
