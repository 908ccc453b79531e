import { expect } from 'chai';
import * as oidc from 'openid-client';
import { engines } from '../../support/databases.ts';
import { discover, oauthErrorOf } from '../../support/oauth-flow.ts';
import { errorRedirectParams, sendAuthorizationRequest } from '../../support/security-checks.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';

/*
 * The authorization request itself: PKCE is mandatory and S256 only, redirect URIs match
 * exactly, and AI scopes are checked (grammar, and the client's allowed scopes) instead
 * of being dropped. Every refusal that can go back to the app goes back to its
 * registered redirect URI with `error`, `state` and `iss` (RFC 9207).
 */
for (const engine of engines) {
  describe(`authorization request security (${engine})`, () => {
    let as: RunningAs;
    let app: { clientId: string; redirectUri: string };
    let config: oidc.Configuration;

    before(async () => {
      as = await startAuthorizationServer(engine);
      await as.addUser('alice', 'correct horse battery');
      app = await as.addClient({ name: 'Writer' });
      config = await discover(as, app.clientId);
    });
    after(() => as.close());

    /** The request's error redirect, checked the way the app's own library checks it. */
    async function expectErrorAtApp(
      sent: Awaited<ReturnType<typeof sendAuthorizationRequest>>,
      error: string,
      redirectUri = app.redirectUri,
      clientConfig = config,
    ) {
      const params = errorRedirectParams(sent.hop, redirectUri);
      expect(params.get('error')).to.equal(error);
      expect(params.get('iss')).to.equal(as.issuer);
      expect(params.get('state')).to.equal(sent.state);
      const seenByApp = await oauthErrorOf(
        oidc.authorizationCodeGrant(clientConfig, new URL(sent.hop.location as string), {
          pkceCodeVerifier: sent.verifier,
          expectedState: sent.state,
        }),
      );
      expect(seenByApp.error).to.equal(error);
      return params;
    }

    async function grantsOf(clientId: string) {
      return as.database.db('grants').where({ client_id: clientId });
    }

    it('1. refuses a request without PKCE (no code_challenge): invalid_request', async () => {
      const sent = await sendAuthorizationRequest(config, as, {
        redirectUri: app.redirectUri,
        scope: 'openai:gpt-4o-mini:chat',
        params: { code_challenge: undefined, code_challenge_method: undefined },
      });
      expect(sent.url.searchParams.has('code_challenge')).to.equal(false);
      await expectErrorAtApp(sent, 'invalid_request');

      const methodOnly = await sendAuthorizationRequest(config, as, {
        redirectUri: app.redirectUri,
        scope: 'openai:gpt-4o-mini:chat',
        params: { code_challenge: undefined },
      });
      await expectErrorAtApp(methodOnly, 'invalid_request');
    });

    it('2. refuses code_challenge_method=plain: invalid_request', async () => {
      const verifier = oidc.randomPKCECodeVerifier();
      const sent = await sendAuthorizationRequest(config, as, {
        redirectUri: app.redirectUri,
        scope: 'openai:gpt-4o-mini:chat',
        params: { code_challenge: verifier, code_challenge_method: 'plain' },
      });
      const params = await expectErrorAtApp(sent, 'invalid_request');
      expect(params.get('error_description') ?? '').to.match(/code_challenge_method/);
    });

    it('4. never redirects to an unregistered redirect_uri: an error page, 400', async () => {
      const unregistered = [
        'https://attacker.example/callback',
        `${app.redirectUri}/extra`,
        `${app.redirectUri}?next=https://attacker.example`,
        app.redirectUri.replace('127.0.0.1', 'localhost'),
        app.redirectUri.replace('http:', 'https:'),
      ];
      for (const redirectUri of unregistered) {
        const { hop } = await sendAuthorizationRequest(config, as, {
          redirectUri,
          scope: 'openai:gpt-4o-mini:chat',
        });
        expect(hop.status, redirectUri).to.equal(400);
        expect(hop.location, redirectUri).to.equal(undefined);
        expect(hop.headers.get('content-type')).to.match(/^text\/html/);
        expect(hop.body).to.include('redirect_uri');
        // In plain words, naming the app, with a way back; the OAuth code only for its developer.
        expect(hop.body).to.include('<h1>Mandate cannot send you back to this app</h1>');
        expect(hop.body).to.include('Writer asked Mandate to send you back to an address');
        expect(hop.body).to.include('<a href="/account">');
        expect(hop.body).to.not.match(/<h1>[^<]*invalid_/);
        expect(hop.body.indexOf('invalid_redirect_uri')).to.be.above(hop.body.indexOf('Details for the app'));
        expect(hop.body, 'no link to the unregistered URI').to.not.include(`href="${redirectUri}`);
        expect(hop.body).to.not.match(/http-equiv="?refresh/i);
      }
    });

    it('7. refuses a scope outside the client’s allowed scopes: invalid_scope at the redirect URI', async () => {
      const narrow = await as.addClient({
        name: 'OpenAI chat only',
        redirectUris: ['http://127.0.0.1:9/narrow-callback'],
        allowedScopes: ['openai:*:chat'],
      });
      const narrowConfig = await discover(as, narrow.clientId);
      for (const scope of [
        'anthropic:*:chat',
        'anthropic:claude-sonnet-4-5:chat',
        'openai:*:embeddings',
        // The whole request is refused, not silently narrowed to what is allowed.
        'openai:gpt-4o-mini:chat anthropic:*:chat',
      ]) {
        const sent = await sendAuthorizationRequest(narrowConfig, as, {
          redirectUri: narrow.redirectUri,
          scope,
        });
        const params = await expectErrorAtApp(sent, 'invalid_scope', narrow.redirectUri, narrowConfig);
        expect(params.get('error_description') ?? '', scope).to.match(/not allowed/);
      }
      // The allowed scope goes on to the sign-in page, so the refusals above were about scope.
      const allowed = await sendAuthorizationRequest(narrowConfig, as, {
        redirectUri: narrow.redirectUri,
        scope: 'openai:gpt-4o-mini:chat',
      });
      expect(allowed.hop.location ?? '').to.match(/\/interaction\//);
      expect(await grantsOf(narrow.clientId)).to.have.length(0);
    });

    it('8. refuses malformed AI scopes instead of dropping them: invalid_scope', async () => {
      const cases: Array<[string, RegExp]> = [
        ['openai::chat', /missing model/],
        ['foo:bar:chat', /unknown provider 'foo'/],
        ['openai:gpt-4o:dance', /unknown capability 'dance'/],
        ['openai:gpt-4o', /not of the form provider:model:capability/],
        ['*:gpt-4o:chat', /provider/],
        ['openai:gpt-4o:*', /capability cannot be a wildcard/],
        ['openai:gpt*:chat', /'\*' may only stand alone/],
        // One bad scope spoils the request; the good one beside it is not kept alone.
        ['openai:gpt-4o-mini:chat openai::chat', /missing model/],
      ];
      for (const [scope, reason] of cases) {
        const sent = await sendAuthorizationRequest(config, as, { redirectUri: app.redirectUri, scope });
        const params = await expectErrorAtApp(sent, 'invalid_scope');
        expect(params.get('error_description') ?? '', scope).to.match(reason);
      }
      expect(await grantsOf(app.clientId)).to.have.length(0);
    });
  });
}
