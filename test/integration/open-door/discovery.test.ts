import { expect } from 'chai';
import * as oidc from 'openid-client';
import { defaults } from '../../../src/config/defaults.ts';
import { engines } from '../../support/databases.ts';
import { claimsOf } from '../../support/mint-token.ts';
import {
  consent,
  discover,
  oauthErrorOf,
  signInAndReachConsent,
  startAuthorization,
} from '../../support/oauth-flow.ts';
import { captureProviderNotices } from '../../support/provider-notices.ts';
import { bearerChallenge, openaiClient } from '../../support/proxy-clients.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';
import { createUserAgent } from '../../support/user-agent.ts';

const PUBLISHED = defaults.as.openDoor.scopes;

/*
 * What an MCP client needs to find by itself: the scopes it may ask for (resource
 * metadata, AS metadata, the 401 challenge), the proxy URL accepted with a trailing
 * slash as the same resource, and step-up that keeps what was granted.
 */
for (const engine of engines) {
  describe(`open door: discovery, resource and step-up (${engine})`, () => {
    let fx: ProxyFixture;
    let notices: ReturnType<typeof captureProviderNotices>;

    before(async () => {
      notices = captureProviderNotices();
      fx = await startProxyFixture(engine);
    });
    after(async () => {
      notices.restore();
      await fx?.close();
    });

    it('publishes the scope forms in the resource metadata, the AS metadata and the 401 challenge', async () => {
      const prm = await fetch(`${fx.proxy.url}/.well-known/oauth-protected-resource`);
      expect(prm.headers.get('access-control-allow-origin')).to.equal('*');
      const metadata = (await prm.json()) as Record<string, unknown>;
      expect(metadata.scopes_supported).to.deep.equal(PUBLISHED);
      expect(metadata).not.to.have.property('resource_signing_alg_values_supported');

      const asRes = await fetch(`${fx.as.issuer}/.well-known/oauth-authorization-server`, {
        headers: { origin: 'https://any-browser-app.example' },
      });
      // Readable by browser apps from any origin.
      expect(asRes.headers.get('access-control-allow-origin')).to.equal('https://any-browser-app.example');
      const as = (await asRes.json()) as { scopes_supported: string[] };
      expect(as.scopes_supported).to.deep.equal(['openid', ...PUBLISHED]);

      const res = await fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, { method: 'POST', body: '{}' });
      expect(res.status).to.equal(401);
      const challenge = bearerChallenge(res.headers.get('www-authenticate'));
      expect(challenge.error).to.equal(undefined);
      expect(challenge.resource_metadata).to.equal(`${fx.proxy.url}/.well-known/oauth-protected-resource`);
      expect(challenge.scope?.split(' ')).to.deep.equal(PUBLISHED);

      const bad = await fetch(`${fx.proxy.openaiBaseURL}/models`, {
        headers: { authorization: 'Bearer nope' },
      });
      expect(bearerChallenge(bad.headers.get('www-authenticate')).scope?.split(' ')).to.deep.equal(PUBLISHED);
    });

    it('accepts the proxy URL with a trailing slash as the same resource; tokens name the configured form', async () => {
      const slashed = `${fx.proxy.url}/`;
      const redirectUri = fx.client.redirectUri;
      const opts = {
        redirectUri,
        scope: 'openai:gpt-4o-mini:chat',
        username: fx.username,
        password: fx.password,
        extraParams: { resource: slashed },
      };
      const { url, verifier, state } = await startAuthorization(fx.oidc, fx.as, opts);
      expect(url.searchParams.get('resource')).to.equal(slashed);
      const ua = createUserAgent();
      const done = await consent(ua, await signInAndReachConsent(ua, url.toString(), opts), opts);
      const tokens = await oidc.authorizationCodeGrant(
        fx.oidc,
        new URL(done.location as string),
        { pkceCodeVerifier: verifier, expectedState: state },
        { resource: slashed },
      );
      expect(claimsOf(tokens.access_token).aud).to.equal(fx.proxy.url);
      const refreshed = await oidc.refreshTokenGrant(fx.oidc, tokens.refresh_token as string, {
        resource: slashed,
      });
      expect(claimsOf(refreshed.access_token).aud).to.equal(fx.proxy.url);
      // The same resource, either form, for refreshing.
      const again = await oidc.refreshTokenGrant(fx.oidc, refreshed.refresh_token as string, {
        resource: fx.proxy.url,
      });
      const chat = await openaiClient(fx.proxy.openaiBaseURL, again.access_token).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(chat.choices).to.have.length.greaterThan(0);
      // The body was read by Mandate and handed on: oidc-provider noticed nothing.
      expect(notices.seen.filter((n) => n.includes('body'))).to.deep.equal([]);
    });

    it('loosens nothing else: another path, a second slash, another port are unknown resources', async () => {
      const port = Number(new URL(fx.proxy.url).port);
      for (const resource of [
        `${fx.proxy.url}/v1`,
        `${fx.proxy.url}//`,
        `http://127.0.0.1:${port + 1}/`,
        `${fx.proxy.url}/?x=1`,
      ]) {
        const { url } = await startAuthorization(fx.oidc, fx.as, {
          redirectUri: fx.client.redirectUri,
          scope: 'openai:gpt-4o-mini:chat',
          extraParams: { resource },
        });
        const res = await fetch(url, { redirect: 'manual' });
        const location = new URL(res.headers.get('location') as string);
        expect(location.searchParams.get('error'), resource).to.equal('invalid_target');
      }
      // At the token endpoint too.
      const refused = await oauthErrorOf(
        oidc.refreshTokenGrant(fx.oidc, (await fx.grant('openai:gpt-4o-mini:chat')).refreshToken, {
          resource: `${fx.proxy.url}/v1`,
        }),
      );
      expect(refused.error).to.equal('invalid_target');
    });

    it('a request naming no AI scope (or only openid) offers what the app may ask for, and the person chooses', async () => {
      // A fresh app: no earlier grant of the person's for it to keep.
      const allowed = ['openai:*:chat', 'openai:*:models', 'anthropic:*:chat'];
      const chooser = await fx.as.addClient({ name: 'Chooser', allowedScopes: allowed });
      const config = await discover(fx.as, chooser.clientId);
      for (const scope of ['openid', '']) {
        const opts = {
          redirectUri: chooser.redirectUri,
          scope,
          username: fx.username,
          password: fx.password,
          untick: ['openai:*:models', 'anthropic:*:chat'],
        };
        const { url, verifier, state } = await startAuthorization(config, fx.as, opts);
        if (scope === '') url.searchParams.delete('scope');
        const ua = createUserAgent();
        const page = await signInAndReachConsent(ua, url.toString(), opts);
        const offered = [...page.body.matchAll(/name="scope" value="([^"]+)"/g)].map((m) => m[1]);
        // The app's allowed scopes, nothing else; on the second round the first grant's is kept.
        expect(offered, scope).to.have.members(allowed);
        const done = await consent(ua, page, opts);
        const tokens = await oidc.authorizationCodeGrant(config, new URL(done.location as string), {
          pkceCodeVerifier: verifier,
          expectedState: state,
        });
        expect(String(claimsOf(tokens.access_token).scope).split(' '), scope).to.have.members([
          'openai:*:chat',
        ]);
      }
      // An app that may ask for nothing is still refused.
      const none = await fx.as.addClient({ name: 'Nothing', allowedScopes: ['openai:*:chat'] });
      await fx.as.database
        .db('clients')
        .where({ client_id: none.clientId })
        .update({
          metadata: JSON.stringify({
            ...(await fx.as.stores.clients.find(none.clientId))?.metadata,
            allowed_ai_scopes: undefined,
          }),
        });
      const nothing = await startAuthorization(await discover(fx.as, none.clientId), fx.as, {
        redirectUri: none.redirectUri,
        scope: 'openid',
      });
      const refused = await fetch(nothing.url, { redirect: 'manual' });
      expect(new URL(refused.headers.get('location') as string).searchParams.get('error')).to.equal(
        'invalid_scope',
      );
    });

    it('step-up: asking for a new scope alone offers it beside the kept ones and the new token holds both', async () => {
      const first = await fx.grant('openai:gpt-4o-mini:chat');
      expect(claimsOf(first.accessToken).scope).to.equal('openai:gpt-4o-mini:chat');
      const opts = {
        redirectUri: fx.client.redirectUri,
        scope: 'anthropic:*:chat',
        username: fx.username,
        password: fx.password,
      };
      const { url, verifier, state } = await startAuthorization(fx.oidc, fx.as, opts);
      const ua = createUserAgent();
      const page = await signInAndReachConsent(ua, url.toString(), opts);
      const offered = [...page.body.matchAll(/name="scope" value="([^"]+)" checked/g)].map((m) => m[1]);
      expect(offered).to.have.members(['anthropic:*:chat', 'openai:gpt-4o-mini:chat']);
      expect(page.body).to.match(/Chat with GPT-4o mini[^<]*<span class="badge">already allowed<\/span>/);
      const done = await consent(ua, page, opts);
      const tokens = await oidc.authorizationCodeGrant(fx.oidc, new URL(done.location as string), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      expect(claimsOf(tokens.access_token).scope?.toString().split(' ')).to.have.members([
        'anthropic:*:chat',
        'openai:gpt-4o-mini:chat',
      ]);
      const chat = await openaiClient(fx.proxy.openaiBaseURL, tokens.access_token).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'still allowed' }],
      });
      expect(chat.choices).to.have.length.greaterThan(0);

      // Unticking a kept scope drops it: the person decides, not the app.
      const opts2 = { ...opts, scope: 'openai:*:models', untick: ['openai:gpt-4o-mini:chat'] };
      const next = await startAuthorization(fx.oidc, fx.as, opts2);
      const ua2 = createUserAgent();
      const done2 = await consent(ua2, await signInAndReachConsent(ua2, next.url.toString(), opts2), opts2);
      const narrowed = await oidc.authorizationCodeGrant(fx.oidc, new URL(done2.location as string), {
        pkceCodeVerifier: next.verifier,
        expectedState: next.state,
      });
      expect(String(claimsOf(narrowed.access_token).scope).split(' ')).to.have.members([
        'openai:*:models',
        'anthropic:*:chat',
      ]);
    });
  });
}
