import {
  auth,
  extractWWWAuthenticateParams,
  type OAuthClientProvider,
} from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { consent, signInAndReachConsent } from './oauth-flow.ts';
import { type DocumentServer, json } from './test-tls.ts';
import { createUserAgent } from './user-agent.ts';

/**
 * What an MCP client keeps between runs, in memory: the SDK's `OAuthClientProvider`
 * as an app implements it. `clientMetadataUrl` set: the app is known by its Client ID
 * Metadata Document; unset: it registers itself (RFC 7591).
 */
export class MemoryMcpOAuthProvider implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  authorizationUrl: URL | undefined;
  readonly clientMetadataUrl?: string;
  readonly redirect: string;

  constructor(redirect: string, clientMetadataUrl?: string) {
    this.redirect = redirect;
    if (clientMetadataUrl) this.clientMetadataUrl = clientMetadataUrl;
  }
  get redirectUrl() {
    return this.redirect;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Test MCP client',
      redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

export interface McpAuthorizeOptions {
  /** The MCP server URL the client was given (here: a provider base URL at the proxy). */
  serverUrl: string;
  /** The refused response that started it: its challenge names the metadata and the scope. */
  challenge: Response;
  username: string;
  password: string;
  /** Scopes to untick on the consent page. */
  untick?: string[];
  /** Sees the consent page before it is approved. */
  onConsentPage?: (body: string) => void;
}

/**
 * What an MCP client does on a 401 or 403 from the proxy: `auth()` from the challenge
 * (discovery, registration or a metadata document URL, the authorization request), the
 * person on the hosted sign-in and consent pages (plain HTTP form posts), then `auth()`
 * again with the code. Returns the access token the SDK saved.
 */
export async function mcpAuthorize(
  provider: MemoryMcpOAuthProvider,
  opts: McpAuthorizeOptions,
): Promise<string> {
  const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(opts.challenge);
  const started = await auth(provider, {
    serverUrl: opts.serverUrl,
    ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}),
    ...(scope ? { scope } : {}),
  });
  if (started !== 'REDIRECT' || !provider.authorizationUrl) throw new Error(`auth() said ${started}`);
  const flow = {
    redirectUri: provider.redirect,
    scope: '',
    username: opts.username,
    password: opts.password,
    ...(opts.untick ? { untick: opts.untick } : {}),
  };
  const ua = createUserAgent();
  const page = await signInAndReachConsent(ua, provider.authorizationUrl.toString(), flow);
  if (!page.body.includes('name="decision"'))
    throw new Error(`no consent page: ${page.status} ${page.body.slice(0, 400)}`);
  opts.onConsentPage?.(page.body);
  const done = await consent(ua, page, flow);
  const callback = new URL(done.location as string);
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code: ${callback}`);
  const finished = await auth(provider, {
    serverUrl: opts.serverUrl,
    authorizationCode: code,
    ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}),
  });
  if (finished !== 'AUTHORIZED' || !provider.saved) throw new Error(`auth() with the code said ${finished}`);
  return provider.saved.access_token;
}

/**
 * An MCP client known by its Client ID Metadata Document: serves "Docs MCP client" at
 * `/mcp/client.json` on `docs` (public, code + refresh, a logo nothing may load,
 * cacheable for an hour; `extra` adds fields) and returns its URL, the client_id, with
 * the provider of an app using it.
 */
export function mcpClientByDocument(
  docs: DocumentServer,
  redirect: string,
  extra: Record<string, unknown> = {},
): { url: string; provider: MemoryMcpOAuthProvider } {
  const url = `${docs.origin}/mcp/client.json`;
  docs.route(
    '/mcp/client.json',
    json(
      {
        client_id: url,
        client_name: 'Docs MCP client',
        redirect_uris: [redirect],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        logo_uri: `${docs.origin}/logo.png`,
        ...extra,
      },
      { 'cache-control': 'max-age=3600' },
    ),
  );
  return { url, provider: new MemoryMcpOAuthProvider(redirect, url) };
}
