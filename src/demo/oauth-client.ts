import { DemoError } from './demo-error.ts';

/*
 * The authorization code flow with PKCE in plain fetch, as any OAuth library does it:
 * discovery, the authorization URL, the callback's checks (state, iss, error) and the
 * code exchange at the token endpoint. A public client: no secret.
 */

export interface ServerMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

/** RFC 8414 metadata of `issuer`; a server that is not there, or not that issuer, is a DemoError. */
export async function discover(issuer: string): Promise<ServerMetadata> {
  const where = `${issuer}/.well-known/oauth-authorization-server`;
  let res: Response;
  try {
    res = await fetch(where, { signal: AbortSignal.timeout(5000) });
  } catch {
    throw new DemoError(
      `no authorization server answers at ${issuer} (as.issuer, MANDATE_ISSUER): start Mandate first (./scripts/mandate.sh start), with the same settings as this command`,
    );
  }
  const meta = (await res.json().catch(() => undefined)) as ServerMetadata | undefined;
  if (!res.ok || meta?.issuer !== issuer) {
    throw new DemoError(`${where} did not describe the issuer ${issuer} (status ${res.status})`);
  }
  return meta;
}

export function authorizationUrl(
  meta: ServerMetadata,
  params: {
    clientId: string;
    redirectUri: string;
    scope: string;
    state: string;
    challenge: string;
    resource: string;
  },
): URL {
  const url = new URL(meta.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: params.clientId,
    redirect_uri: params.redirectUri,
    scope: params.scope,
    state: params.state,
    code_challenge: params.challenge,
    code_challenge_method: 'S256',
    resource: params.resource,
  }).toString();
  return url;
}

/** The code from a callback URL, after checking it answers this request from this issuer. */
export function codeFromCallback(callback: URL, expected: { state: string; issuer: string }): string {
  const q = callback.searchParams;
  if (q.get('state') !== expected.state)
    throw new DemoError('the callback carried another state: not this sign-in');
  if (q.has('iss') && q.get('iss') !== expected.issuer) {
    throw new DemoError(`the callback came from another issuer (${q.get('iss')}), not ${expected.issuer}`);
  }
  const error = q.get('error');
  if (error) {
    const why = error === 'access_denied' ? 'you pressed Deny' : (q.get('error_description') ?? 'refused');
    throw new DemoError(`Mandate answered ${error}: ${why}`);
  }
  const code = q.get('code');
  if (!code) throw new DemoError('the callback carried no authorization code');
  return code;
}

export async function exchangeCode(
  meta: ServerMetadata,
  params: { clientId: string; redirectUri: string; code: string; verifier: string },
): Promise<TokenResponse> {
  const res = await fetch(meta.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.code,
      redirect_uri: params.redirectUri,
      client_id: params.clientId,
      code_verifier: params.verifier,
    }),
  });
  const body = (await res.json().catch(() => ({}))) as Partial<TokenResponse> & {
    error?: string;
    error_description?: string;
  };
  if (!res.ok || typeof body.access_token !== 'string') {
    throw new DemoError(
      `the token endpoint refused the code: ${body.error ?? res.status}${body.error_description ? ` (${body.error_description})` : ''}`,
    );
  }
  return body as TokenResponse;
}
