/**
 * One authorization code + PKCE flow as a browser without JavaScript makes it, over real
 * HTTP with a cookie jar and no browser: the authorization URL, the sign-in page and its
 * form (unless the user agent's session is still signed in), the consent page and its
 * form, the redirect to the app, then the token request; and one refresh (rotation). The
 * hops are the integration tests' (test/support/oauth-flow.ts), so the bench drives what
 * the tests check.
 */
import * as oidc from 'openid-client';
import { authorize, exchange } from '../test/support/oauth-flow.ts';
import type { UserAgent } from '../test/support/user-agent.ts';

/** The authorization server a bench drives, discovered once. */
export interface FlowTarget {
  issuer: string;
  proxyUrl: string;
  metadata: oidc.ServerMetadata;
}

/** A registered public app and the person who signs in to approve it. */
export interface FlowParty {
  clientId: string;
  redirectUri: string;
  username: string;
  password: string;
}

/** The scope every bench flow asks for (one provider, one model, chat). */
export const FLOW_SCOPE = 'openai:gpt-4o-mini:chat';

/** Discovery, once per run: the flows reuse its metadata for every app. */
export async function discoverTarget(issuer: string, proxyUrl: string): Promise<FlowTarget> {
  const config = await oidc.discovery(new URL(issuer), 'discovery-only', undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
  return { issuer, proxyUrl, metadata: config.serverMetadata() };
}

function configFor(target: FlowTarget, clientId: string): oidc.Configuration {
  const config = new oidc.Configuration(target.metadata, clientId, undefined, oidc.None());
  oidc.allowInsecureRequests(config);
  return config;
}

/**
 * authorize → (sign-in) → consent → redirect → token. Returns the token response; throws
 * unless it holds an access token and a refresh token.
 */
export async function runFlow(target: FlowTarget, party: FlowParty, ua: UserAgent) {
  const authorized = await authorize(configFor(target, party.clientId), target, ua, {
    redirectUri: party.redirectUri,
    scope: FLOW_SCOPE,
    username: party.username,
    password: party.password,
  });
  const tokens = await exchange(authorized);
  if (!tokens.access_token || !tokens.refresh_token)
    throw new Error('bench flow: the token response lacks an access or a refresh token');
  return tokens;
}

/** One refresh_token grant; returns the rotated refresh token. */
export async function refreshOnce(target: FlowTarget, clientId: string, refreshToken: string) {
  const tokens = await oidc.refreshTokenGrant(configFor(target, clientId), refreshToken);
  if (!tokens.access_token || !tokens.refresh_token)
    throw new Error('bench refresh: the token response lacks an access or a refresh token');
  return tokens.refresh_token;
}
