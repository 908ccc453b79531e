import { expect } from 'chai';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { engines } from '../../support/databases.ts';
import { authorize, discover, exchange, oauthErrorOf } from '../../support/oauth-flow.ts';
import { signInToAccount, submitAccountForm } from '../../support/security-checks.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import {
  createUserAgent,
  csrfOf,
  formAction,
  linkTo,
  seeOther,
  type UserAgent,
} from '../../support/user-agent.ts';

const SCOPE = 'openai:gpt-4o-mini:chat';
const PASSWORD = 'correct horse battery';

/*
 * Mandate's own account pages: signing out ends the person's session only, never the
 * apps' grants; Revoke on the connected-apps page ends a grant and every token of it.
 */
for (const engine of engines) {
  describe(`account pages and app access (${engine})`, () => {
    let as: RunningAs;
    let app: { clientId: string; redirectUri: string };
    let config: oidc.Configuration;
    let proxy: oidc.Configuration;

    before(async () => {
      as = await startAuthorizationServer(engine);
      await as.addUser('alice', PASSWORD);
      await as.addUser('bob', PASSWORD);
      app = await as.addClient({ name: 'Writer' });
      config = await discover(as, app.clientId);
      proxy = await discover(as, as.proxyClient.id, as.proxyClient.secret);
    });
    after(() => as.close());

    const active = async (token: string) => (await oidc.tokenIntrospection(proxy, token)).active;

    async function connect(ua: UserAgent) {
      const tokens = await exchange(
        await authorize(config, as, ua, { redirectUri: app.redirectUri, scope: SCOPE }),
      );
      return { tokens, grantId: decodeJwt(tokens.access_token).grant_id as string };
    }

    it('12. signing out of Mandate does not revoke apps: refresh still works, new tokens are active', async () => {
      const ua = createUserAgent();
      const signedIn = await signInToAccount(ua, as, 'alice', PASSWORD);
      expect(signedIn.status).to.equal(303);
      expect(signedIn.location).to.equal(`${as.issuer}/account`);
      const { tokens, grantId } = await connect(ua);

      const accountPage = await ua.request(`${as.issuer}/account`);
      expect(accountPage.status).to.equal(200);
      expect(accountPage.body).to.include('Writer');
      const out = await submitAccountForm(ua, accountPage, '/account/logout');
      expect(out.status).to.equal(200);
      expect(out.body).to.include('Signed out');
      const after = await ua.request(`${as.issuer}/account`);
      expect(after.status, 'signed out of the account pages').to.equal(302);
      expect(after.location).to.equal(`${as.issuer}/account/login`);

      expect(await active(tokens.access_token)).to.equal(true);
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
      expect(refreshed.access_token).to.be.a('string');
      expect(await active(refreshed.access_token)).to.equal(true);
      expect((await oidc.tokenIntrospection(proxy, refreshed.access_token)).grant_id).to.equal(grantId);
      expect(await oidc.refreshTokenGrant(config, refreshed.refresh_token as string)).to.have.property(
        'access_token',
      );

      const grant = await as.stores.grants.find(grantId);
      expect(grant?.revokedAt).to.equal(null);
      const log = await as.stores.revocations.readLog(0);
      expect(log.filter((e) => e.grantId === grantId)).to.deep.equal([]);
    });

    it('14. Revoke on the account page ends the grant: its tokens are inactive, reason account_page', async () => {
      const ua = createUserAgent();
      const { tokens, grantId } = await connect(ua);
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);

      const page = await ua.request(`${as.issuer}/account`);
      expect(page.status).to.equal(200);
      // Revoke leads to a confirmation page first; opening it changes nothing.
      const confirm = await ua.request(linkTo(page.body, page.url, `/account/grants/${grantId}/revoke`));
      expect(confirm.status).to.equal(200);
      expect(confirm.body).to.include('<h1>Revoke access for Writer?</h1>');
      expect(confirm.body).to.include('every token it holds stops working at once');
      expect(linkTo(confirm.body, confirm.url, '/account/apps/')).to.be.a('string');
      expect(await active(refreshed.access_token)).to.equal(true);
      const action = formAction(confirm.body, confirm.url, `/account/grants/${grantId}/revoke`);

      // Without the CSRF token nothing happens.
      const forged = await ua.request(action, { method: 'POST', form: {} });
      expect(forged.status).to.equal(403);
      expect(await active(refreshed.access_token)).to.equal(true);

      // Another person cannot revoke alice's grant, even with their own valid token.
      const bob = createUserAgent();
      expect((await signInToAccount(bob, as, 'bob', PASSWORD)).status).to.equal(303);
      const bobPage = await bob.request(`${as.issuer}/account`);
      const stranger = await bob.request(action, {
        form: { csrf: csrfOf(bobPage.body) },
      });
      expect(stranger.status).to.equal(404);
      expect(await active(refreshed.access_token)).to.equal(true);

      const revoked = await seeOther(
        ua,
        await submitAccountForm(ua, confirm, `/account/grants/${grantId}/revoke`),
      );
      expect(revoked.status).to.equal(200);
      expect(revoked.body).to.include('Writer can no longer use your accounts.');
      expect(revoked.body).to.not.include(`/account/grants/${grantId}/revoke`);

      for (const token of [tokens.access_token, refreshed.access_token]) {
        expect(await active(token)).to.equal(false);
      }
      const dead = await oauthErrorOf(oidc.refreshTokenGrant(config, refreshed.refresh_token as string));
      expect(dead.error).to.equal('invalid_grant');
      const grant = await as.stores.grants.find(grantId);
      expect(grant?.revokedReason).to.equal('account_page');
      const log = await as.stores.revocations.readLog(0);
      expect(
        log
          .filter((e) => e.grantId === grantId)
          .map((e) => ({ kind: e.kind, subject: e.subjectId, reason: e.reason })),
      ).to.deep.equal([{ kind: 'grant', subject: grantId, reason: 'account_page' }]);
    });

    it('changing the password checks the current one under the same throttle, then works', async () => {
      await as.addUser('carol', PASSWORD);
      const ua = createUserAgent();
      expect((await signInToAccount(ua, as, 'carol', PASSWORD)).status).to.equal(303);
      const change = async (current: string, next = 'a brand new password') => {
        const page = await ua.request(`${as.issuer}/account/password`);
        return ua.request(formAction(page.body, page.url, '/account/password'), {
          form: {
            csrf: csrfOf(page.body),
            current_password: current,
            new_password: next,
            confirm_password: next,
          },
        });
      };
      for (let i = 0; i < 5; i++) expect((await change(`wrong ${i}`)).status).to.equal(400);
      const throttled = await change(PASSWORD);
      expect(throttled.status).to.equal(429);
      expect(Number(throttled.headers.get('retry-after'))).to.be.greaterThan(0);
      // After the window, the right password changes it and the new one signs in.
      await as.database.db('login_failures').delete();
      const changed = await change(PASSWORD);
      expect(changed.status).to.equal(303);
      expect(changed.location).to.equal(`${as.issuer}/account/password?changed=1`);
      expect((await seeOther(ua, changed)).body).to.include('Your password was changed.');
      expect((await signInToAccount(createUserAgent(), as, 'carol', 'a brand new password')).status).to.equal(
        303,
      );
      expect((await signInToAccount(createUserAgent(), as, 'carol', PASSWORD)).status).to.equal(401);
    });
  });
}
