import { expect } from 'chai';
import { engines } from '../../support/databases.ts';
import { claimsOf } from '../../support/mint-token.ts';
import {
  authorize,
  discover,
  exchange,
  signInAndReachConsent,
  startAuthorization,
} from '../../support/oauth-flow.ts';
import { captureProviderNotices } from '../../support/provider-notices.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import { createUserAgent } from '../../support/user-agent.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';

/*
 * The operator's bounds for apps it never registered: the scopes they may ask for at
 * most (published, and enforced at the authorization endpoint) and limits tighter than
 * the server-wide maximums. Apps the operator registered keep their own terms.
 */
for (const engine of engines) {
  describe(`open door: the operator's bounds on unregistered apps (${engine})`, () => {
    let as: RunningAs;
    let notices: ReturnType<typeof captureProviderNotices>;

    before(async () => {
      notices = captureProviderNotices();
      as = await startAuthorizationServer(engine, {
        as: {
          limitMaximums: { maxRequests: 1000 },
          openDoor: {
            registration: 'open',
            scopes: ['openai:*:chat'],
            limitMaximums: { maxRequests: 50, requestsPerMinute: 10 },
          },
        },
      });
      await as.addUser('alice', 'correct horse battery');
    });
    after(async () => {
      notices.restore();
      await as?.close();
    });

    async function registered(): Promise<string> {
      const res = await fetch(`${as.issuer}/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: 'Newcomer',
          redirect_uris: [REDIRECT],
          token_endpoint_auth_method: 'none',
        }),
      });
      expect(res.status).to.equal(201);
      return ((await res.json()) as { client_id: string }).client_id;
    }

    it('publishes the open-door scopes and refuses others to a self-registered app', async () => {
      const metadata = (await (
        await fetch(`${as.issuer}/.well-known/oauth-authorization-server`)
      ).json()) as {
        scopes_supported: string[];
      };
      expect(metadata.scopes_supported).to.deep.equal(['openid', 'openai:*:chat']);
      const config = await discover(as, await registered());
      const { url } = await startAuthorization(config, as, {
        redirectUri: REDIRECT,
        scope: 'anthropic:*:chat',
      });
      const res = await fetch(url, { redirect: 'manual' });
      const back = new URL(res.headers.get('location') as string);
      expect(back.searchParams.get('error')).to.equal('invalid_scope');
      expect(back.searchParams.get('error_description')).to.include('not allowed for this client');
      // Registering for more than the policy is refused outright.
      const more = await fetch(`${as.issuer}/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: [REDIRECT], scope: 'anthropic:*:chat' }),
      });
      expect(more.status).to.equal(400);
    });

    it("a self-registered app's grant gets the open-door limits; the operator's app the server's", async () => {
      const newcomer = await discover(as, await registered());
      const plain = { redirectUri: REDIRECT, scope: 'openai:gpt-4o-mini:chat' };
      const { url } = await startAuthorization(newcomer, as, plain);
      const page = await signInAndReachConsent(createUserAgent(), url.toString(), plain);
      expect(page.body).to.include(
        'allows no app its operator has not reviewed more than 50 requests, 10 requests per minute',
      );
      expect(page.body).to.include('at most 50 requests in total; 10 requests per minute');
      expect(page.body).to.include('Not reviewed by this server');
      const tokens = await exchange(await authorize(newcomer, as, createUserAgent(), plain));
      const grant = await as.stores.grants.find(claimsOf(tokens.access_token).grant_id as string);
      expect(grant?.limits).to.include({ maxRequests: 50, requestsPerMinute: 10 });

      const app = await as.addClient({ name: 'Reviewed app', allowedScopes: ['anthropic:*:chat'] });
      const reviewed = await discover(as, app.clientId);
      const own = { redirectUri: app.redirectUri, scope: 'anthropic:*:chat' };
      const { url: ownUrl } = await startAuthorization(reviewed, as, own);
      const ownPage = await signInAndReachConsent(createUserAgent(), ownUrl.toString(), own);
      expect(ownPage.body).not.to.include('Not reviewed by this server');
      const ownTokens = await exchange(await authorize(reviewed, as, createUserAgent(), own));
      const ownGrant = await as.stores.grants.find(claimsOf(ownTokens.access_token).grant_id as string);
      expect(ownGrant?.limits).to.include({ maxRequests: 1000, requestsPerMinute: null });
    });

    it('a self-registered app cannot raise a limit past the open-door maximum on the consent form', async () => {
      const newcomer = await discover(as, await registered());
      const asked = [{ type: 'ai_access', provider: 'openai', limits: { max_requests: 500 } }];
      const opts = {
        redirectUri: REDIRECT,
        scope: 'openai:*:chat',
        extraParams: { authorization_details: JSON.stringify(asked) },
        limits: { 'limit-openai-max_requests': '400' },
      };
      const before = await as.stores.grants.list({});
      const refused = await authorize(newcomer, as, createUserAgent(), opts).then(
        () => 'allowed',
        (err: Error) => err.message,
      );
      expect(refused).to.match(/^consent failed: 400/);
      expect(await as.stores.grants.list({})).to.have.length(before.length);
      const ok = await exchange(
        await authorize(newcomer, as, createUserAgent(), {
          ...opts,
          limits: { 'limit-openai-max_requests': '50' },
        }),
      );
      const grant = await as.stores.grants.find(claimsOf(ok.access_token).grant_id as string);
      expect(grant?.limits.maxRequests).to.equal(50);
    });

    it('prints no oidc-provider WARNING or NOTICE along the way', () => {
      expect(notices.seen).to.deep.equal([]);
    });
  });
}
