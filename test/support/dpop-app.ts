import * as oauth from 'oauth4webapi';
import { consent, signInAndReachConsent } from './oauth-flow.ts';
import { oauth4webapiCodeFlow } from './oauth4webapi-code.ts';
import type { ProxyFixture } from './proxy-fixture.ts';
import { createUserAgent } from './user-agent.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
export const insecure = { [oauth.allowInsecureRequests]: true } as const;

export interface DpopApp {
  server: oauth.AuthorizationServer;
  client: oauth.Client;
  /** The registration response (RFC 7591). */
  registered: oauth.OmitSymbolProperties<oauth.Client>;
  /**
   * The whole code + PKCE flow (the fixture's person signs in and allows `scope`), the
   * code redeemed with a proof of `DPoP`'s key, or with none.
   */
  authorize(scope: string, DPoP?: oauth.DPoPHandle): Promise<oauth.TokenEndpointResponse>;
}

/** An app that registers itself (RFC 7591) with `dpop_bound_access_tokens`, driven by oauth4webapi. */
export async function registerDpopApp(fx: ProxyFixture): Promise<DpopApp> {
  const issuer = new URL(fx.as.issuer);
  const server = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oauth2' }),
  );
  const registered = await oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(
      server,
      {
        client_name: 'DPoP app',
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
        dpop_bound_access_tokens: true,
      },
      insecure,
    ),
  );
  const client: oauth.Client = { client_id: registered.client_id, token_endpoint_auth_method: 'none' };
  const ua = createUserAgent();
  const flow = { redirectUri: REDIRECT, scope: '', username: fx.username, password: fx.password };
  return {
    server,
    client,
    registered,
    async authorize(scope, DPoP) {
      const { url, redeem } = await oauth4webapiCodeFlow(server, client, {
        redirectUri: REDIRECT,
        scope,
        resource: fx.proxy.url,
        DPoP,
      });
      const done = await consent(ua, await signInAndReachConsent(ua, url.toString(), flow), flow);
      return redeem(done.location as string);
    },
  };
}
