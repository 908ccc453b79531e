import { expect } from 'chai';
import * as oidc from 'openid-client';
import { engines } from '../../support/databases.ts';
import { authorize, discover, exchange } from '../../support/oauth-flow.ts';
import { signInToAccount } from '../../support/security-checks.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import {
  createUserAgent,
  csrfOf,
  formAction,
  type Hop,
  linkTo,
  type UserAgent,
} from '../../support/user-agent.ts';

const SCOPE = 'openai:gpt-4o-mini:chat anthropic:*:chat';
const PASSWORD = 'correct horse battery';
const WRONG_PASSWORD = 'wrong horse battery staple';
const OPENAI_KEY = 'sk-proj-logging-test-0123456789abcdefghij';

type Line = Record<string, unknown>;

/*
 * What the authorization server logs over a whole life of a grant: one line per event,
 * with ids and outcomes, and never a token, a code, a secret, a password, a provider
 * key, a CSRF token or a cookie value.
 */
for (const engine of engines) {
  describe(`authorization server log lines (${engine})`, () => {
    let as: RunningAs;

    before(async () => {
      as = await startAuthorizationServer(engine);
      await as.addUser('alice', PASSWORD);
    });
    after(() => as.close());

    /** A user agent that remembers every page, to collect the CSRF tokens it was given. */
    function recording(ua: UserAgent, hops: Hop[]): UserAgent {
      return {
        ...ua,
        async request(url, init) {
          const hop = await ua.request(url, init);
          hops.push(hop);
          return hop;
        },
        async follow(url, stopAt) {
          const hop = await ua.follow(url, stopAt);
          hops.push(hop);
          return hop;
        },
      };
    }

    const cookieValues = (ua: UserAgent) =>
      ua.setCookies.map((line) => line.split(';')[0]?.split('=').slice(1).join('=') ?? '').filter(Boolean);
    const csrfTokens = (hops: Hop[]) =>
      hops.flatMap((h) => [...h.body.matchAll(/name="csrf" value="([^"]+)"/g)].map((m) => m[1] as string));

    it('logs each step of a flow once, with ids and outcomes and no secret at all', async () => {
      as.logs.clear();
      // A public client: its refresh tokens rotate.
      const app = await as.addClient({ name: 'Logged App' });
      const config = await discover(as, app.clientId);
      const proxy = await discover(as, as.proxyClient.id, as.proxyClient.secret);
      const hops: Hop[] = [];
      const browser = createUserAgent();
      const ua = recording(browser, hops);

      // A wrong password first, on the hosted sign-in page.
      const start = oidc.buildAuthorizationUrl(config, {
        redirect_uri: app.redirectUri,
        scope: SCOPE,
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
        resource: as.proxyUrl,
      });
      const login = await ua.follow(start.toString(), app.redirectUri);
      const refused = await ua.request(formAction(login.body, login.url, '/login'), {
        form: { csrf: csrfOf(login.body), username: 'alice', password: WRONG_PASSWORD },
      });
      expect(refused.status).to.equal(401);

      // Then the whole flow: sign in, consent, code, tokens, refresh, introspection, revocation.
      const authorized = await authorize(config, as, ua, { redirectUri: app.redirectUri, scope: SCOPE });
      const code = authorized.callbackUrl.searchParams.get('code') as string;
      const tokens = await exchange(authorized);
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
      expect((await oidc.tokenIntrospection(proxy, refreshed.access_token)).active).to.equal(true);
      await oidc.tokenRevocation(config, refreshed.access_token);
      await oidc.tokenRevocation(config, refreshed.refresh_token as string);

      // The account pages: sign in, store a key, revoke.
      const again = await authorize(config, as, ua, { redirectUri: app.redirectUri, scope: SCOPE });
      await exchange(again);
      const person = recording(createUserAgent(), hops);
      expect((await signInToAccount(person, as, 'alice', PASSWORD)).status).to.equal(303);
      const keys = await person.request(`${as.issuer}/account/keys`);
      const saved = await person.request(formAction(keys.body, keys.url, '/account/keys/openai'), {
        form: { csrf: csrfOf(keys.body), key: OPENAI_KEY },
      });
      expect(saved.status).to.equal(303);
      const list = await person.request(`${as.issuer}/account`);
      const apps = await person.request(linkTo(list.body, list.url, '/revoke'));
      const revoked = await person.request(formAction(apps.body, apps.url, '/revoke'), {
        form: { csrf: csrfOf(apps.body) },
      });
      expect(revoked.status).to.equal(303);

      // An expired interaction link is refused through the one error handler.
      expect((await createUserAgent().request(`${as.issuer}/interaction/no-such-uid`)).status).to.equal(400);

      const text = as.logs.text();
      const secrets: Array<[string, string]> = [
        ['authorization code', code],
        ['access token', tokens.access_token],
        ['refresh token', tokens.refresh_token as string],
        ['refreshed access token', refreshed.access_token],
        ['rotated refresh token', refreshed.refresh_token as string],
        ['PKCE verifier', authorized.verifier],
        ['proxy client secret', as.proxyClient.secret],
        ['password', PASSWORD],
        ['wrong password', WRONG_PASSWORD],
        ['provider key', OPENAI_KEY],
        ...csrfTokens(hops).map((t): [string, string] => ['CSRF token', t]),
        ...[...cookieValues(browser), ...cookieValues(person)].map((v): [string, string] => ['cookie', v]),
      ];
      expect(secrets.filter(([what]) => what === 'cookie').length).to.be.greaterThan(3);
      for (const [what, value] of secrets) {
        expect(value.length, what).to.be.greaterThan(8);
        expect(text, `${what} in the log`).to.not.include(value);
      }

      const lines = as.logs.lines();
      const find = (match: Line) =>
        lines.filter((line) =>
          Object.entries(match).every(([k, v]) => JSON.stringify(line[k]) === JSON.stringify(v)),
        );
      const one = (match: Line) => {
        const found = find(match);
        expect(found, JSON.stringify(match)).to.have.length.greaterThan(0);
        return found[0] as Line;
      };
      for (const line of lines) {
        expect(line.service).to.equal('mandate-as');
        expect(line.event, JSON.stringify(line)).to.be.a('string');
      }

      one({
        event: 'sign_in',
        via: 'interaction',
        outcome: 'failure',
        username: 'alice',
        clientId: app.clientId,
      });
      // The second authorization rides on the session: one sign-in.
      expect(find({ event: 'sign_in', via: 'interaction', outcome: 'success' })).to.have.length(1);
      const granted = find({ event: 'consent', outcome: 'granted', clientId: app.clientId });
      expect(granted).to.have.length(2);
      const [first, second] = granted as [Line, Line];
      expect(first.scopes).to.have.members(SCOPE.split(' '));
      expect(first.grantId).to.be.a('string');
      expect(second.replaced, 'the second approval replaced the first grant').to.deep.equal([]);
      one({ event: 'interaction.started', clientId: app.clientId, prompt: 'login' });
      one({ event: 'interaction.started', clientId: app.clientId, prompt: 'consent' });
      expect(find({ event: 'authorization.success', clientId: app.clientId })).to.have.length(2);
      one({ event: 'authorization_code.saved', clientId: app.clientId, grantId: first.grantId });
      one({ event: 'authorization_code.consumed', clientId: app.clientId, grantId: first.grantId });
      one({ event: 'grant.success', clientId: app.clientId, grantType: 'authorization_code' });
      one({ event: 'grant.success', clientId: app.clientId, grantType: 'refresh_token' });
      expect(find({ event: 'access_token.issued', grantId: first.grantId })).to.have.length(2);
      one({ event: 'refresh_token.consumed', grantId: first.grantId });
      one({
        event: 'introspection',
        clientId: as.proxyClient.id,
        active: true,
        tokenKind: 'AccessToken',
        grantId: first.grantId,
      });
      one({ event: 'revocation', clientId: app.clientId, tokenKind: 'AccessToken', grantId: first.grantId });
      one({ event: 'revocation', clientId: app.clientId, tokenKind: 'RefreshToken', grantId: first.grantId });
      one({ event: 'grant.revoked', grantId: first.grantId, route: 'revocation' });
      one({ event: 'sign_in', via: 'account', outcome: 'success', username: 'alice' });
      one({ event: 'provider_key.saved', provider: 'openai', outcome: 'added' });
      one({ event: 'grant.revoked', grantId: second.grantId, by: 'account_page' });
      one({ event: 'refused', code: 'interaction_expired', status: 400 });
      expect(find({ level: 50 }), 'no error lines in a flow that went well').to.have.length(0);
    });

    it("a confidential client's secret is never logged; a refused token request logs the OAuth error only", async () => {
      as.logs.clear();
      const app = await as.addClient({ name: 'Refused App', confidential: true });
      const config = await discover(as, app.clientId, app.clientSecret);
      const tokens = await exchange(
        await authorize(config, as, createUserAgent(), { redirectUri: app.redirectUri, scope: SCOPE }),
      );
      await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
      const wrong = await discover(as, app.clientId, 'not-the-secret-not-the-secret-not-the-secret');
      await oidc.refreshTokenGrant(wrong, tokens.refresh_token as string).catch(() => undefined);
      expect(as.logs.lines().filter((l) => l.event === 'grant.error')[0]).to.deep.include({
        error: 'invalid_client',
      });
      for (const secret of [app.clientSecret as string, tokens.access_token, tokens.refresh_token as string])
        expect(as.logs.text()).to.not.include(secret);
      as.logs.clear();
      const forged = 'forged-refresh-token-value-0123456789';
      await oidc.refreshTokenGrant(config, forged).catch(() => undefined);
      expect(as.logs.text()).to.not.include(forged);
      expect(as.logs.text()).to.not.include(app.clientSecret as string);
      const [line] = as.logs.lines().filter((l) => l.event === 'grant.error');
      expect(line).to.deep.include({ clientId: app.clientId, error: 'invalid_grant', level: 40 });
    });
  });
}
