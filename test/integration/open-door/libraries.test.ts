import { expect } from 'chai';
import * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import { engines } from '../../support/databases.ts';
import { claimsOf } from '../../support/mint-token.ts';
import { authorize, consent, exchange, signInAndReachConsent } from '../../support/oauth-flow.ts';
import { oauth4webapiCodeFlow } from '../../support/oauth4webapi-code.ts';
import { openDoorFixtureHooks } from '../../support/open-door-fixture.ts';
import { openaiClient } from '../../support/proxy-clients.ts';
import type { ProxyFixture } from '../../support/proxy-fixture.ts';
import { type DocumentServer, json } from '../../support/test-tls.ts';
import { createUserAgent } from '../../support/user-agent.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

/*
 * Two strict, independent OAuth libraries as apps nobody registered: openid-client
 * registering itself (RFC 7591) and oauth4webapi, validating every response, with a
 * Client ID Metadata Document as its client_id, RFC 9728 resource discovery included.
 */
for (const engine of engines) {
  describe(`open door: openid-client and oauth4webapi as unregistered apps (${engine})`, () => {
    let fx: ProxyFixture;
    let docs: DocumentServer;

    openDoorFixtureHooks(engine, (door) => {
      ({ fx, docs } = door);
    });

    it('openid-client: dynamicClientRegistration, then code + PKCE and a proxied call', async () => {
      const config = await oidc.dynamicClientRegistration(
        new URL(fx.as.issuer),
        { client_name: 'openid-client app', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' },
        oidc.None(),
        { execute: [oidc.allowInsecureRequests] },
      );
      const clientId = config.clientMetadata().client_id;
      expect(clientId).to.match(/^dcr_/);
      const tokens = await exchange(
        await authorize(config, fx.as, createUserAgent(), {
          redirectUri: REDIRECT,
          scope: 'openai:gpt-4o-mini:chat',
          username: fx.username,
          password: fx.password,
        }),
      );
      expect(claimsOf(tokens.access_token).client_id).to.equal(clientId);
      const chat = await openaiClient(fx.proxy.openaiBaseURL, tokens.access_token).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(chat.choices).to.have.length.greaterThan(0);
    });

    it('oauth4webapi: RFC 9728 discovery, a metadata-document client_id, strict code + PKCE, refresh', async () => {
      const resource = await oauth.processResourceDiscoveryResponse(
        new URL(fx.proxy.url),
        await oauth.resourceDiscoveryRequest(new URL(fx.proxy.url), insecure),
      );
      expect(resource.scopes_supported).to.include('openai:*:chat');
      const issuer = new URL((resource.authorization_servers as string[])[0] as string);
      const server = await oauth.processDiscoveryResponse(
        issuer,
        await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oauth2' }),
      );
      expect(server.client_id_metadata_document_supported).to.equal(true);

      const clientId = `${docs.origin}/oauth4webapi/client.json`;
      docs.route(
        '/oauth4webapi/client.json',
        json(
          {
            client_id: clientId,
            client_name: 'oauth4webapi app',
            redirect_uris: [REDIRECT],
            token_endpoint_auth_method: 'none',
          },
          { 'cache-control': 'max-age=600' },
        ),
      );
      const client: oauth.Client = { client_id: clientId, token_endpoint_auth_method: 'none' };
      const { url, redeem } = await oauth4webapiCodeFlow(server, client, {
        redirectUri: REDIRECT,
        scope: 'openai:*:chat',
        resource: resource.resource,
      });
      const ua = createUserAgent();
      const flow = { redirectUri: REDIRECT, scope: '', username: fx.username, password: fx.password };
      const done = await consent(ua, await signInAndReachConsent(ua, url.toString(), flow), flow);
      const tokens = await redeem(done.location as string);
      expect(claimsOf(tokens.access_token).client_id).to.equal(clientId);
      const refreshed = await oauth.processRefreshTokenResponse(
        server,
        client,
        await oauth.refreshTokenGrantRequest(
          server,
          client,
          oauth.None(),
          tokens.refresh_token as string,
          insecure,
        ),
      );
      const chat = await openaiClient(fx.proxy.openaiBaseURL, refreshed.access_token).chat.completions.create(
        {
          model: 'gpt-4o',
          messages: [{ role: 'user', content: 'hi' }],
        },
      );
      expect(chat.choices).to.have.length.greaterThan(0);
      expect(docs.hits('/oauth4webapi/client.json')).to.equal(1);
    });
  });
}
