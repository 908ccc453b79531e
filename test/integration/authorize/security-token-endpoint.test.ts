import { expect } from 'chai';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { engines } from '../../support/databases.ts';
import { authorize, discover, exchange, oauthErrorOf } from '../../support/oauth-flow.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import { createUserAgent } from '../../support/user-agent.ts';

const SCOPE = 'openai:gpt-4o-mini:chat';

/*
 * The token endpoint: the code is bound to the PKCE verifier, a code or a rotated refresh
 * token presented twice means it leaked, and the whole grant is revoked, durably and logged.
 */
for (const engine of engines) {
  describe(`token endpoint security (${engine})`, () => {
    let as: RunningAs;
    let app: { clientId: string; redirectUri: string };
    let config: oidc.Configuration;
    let proxy: oidc.Configuration;

    before(async () => {
      as = await startAuthorizationServer(engine);
      await as.addUser('alice', 'correct horse battery');
      app = await as.addClient({ name: 'Writer' });
      config = await discover(as, app.clientId);
      proxy = await discover(as, as.proxyClient.id, as.proxyClient.secret);
    });
    after(() => as.close());

    const authorizeApp = () =>
      authorize(config, as, createUserAgent(), { redirectUri: app.redirectUri, scope: SCOPE });
    const active = async (token: string) => (await oidc.tokenIntrospection(proxy, token)).active;
    const grantIdOf = (accessToken: string) => decodeJwt(accessToken).grant_id as string;

    async function expectGrantRevoked(grantId: string, reason: string) {
      const grant = await as.stores.grants.find(grantId);
      expect(grant?.revokedAt).to.be.a('number');
      expect(grant?.revokedReason).to.equal(reason);
      const row = await as.database.db('grants').where({ id: grantId }).first('revoked_reason');
      expect(row.revoked_reason).to.equal(reason);
      const log = await as.stores.revocations.readLog(0);
      const entries = log.filter((e) => e.kind === 'grant' && e.subjectId === grantId);
      expect(entries.map((e) => e.reason)).to.deep.equal([reason]);
      expect(entries[0]?.grantId).to.equal(grantId);
      const stored = await as.database.db('oidc_payloads').where({ grant_id: grantId }).count({ n: '*' });
      expect(Number(stored[0]?.n)).to.equal(0);
    }

    it('3. refuses a wrong or missing code_verifier: invalid_grant', async () => {
      const authorized = await authorizeApp();
      const wrong = await oauthErrorOf(
        oidc.authorizationCodeGrant(config, authorized.callbackUrl, {
          pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
          expectedState: authorized.state,
        }),
      );
      expect(wrong).to.include({ error: 'invalid_grant', status: 400 });

      const missing = await oauthErrorOf(
        oidc.authorizationCodeGrant(config, authorized.callbackUrl, { expectedState: authorized.state }),
      );
      expect(missing).to.include({ error: 'invalid_grant', status: 400 });
    });

    it('5. a code used twice fails the second time and revokes the whole grant (code_reuse)', async () => {
      const authorized = await authorizeApp();
      const tokens = await exchange(authorized);
      const grantId = grantIdOf(tokens.access_token);
      expect(await active(tokens.access_token)).to.equal(true);

      const reused = await oauthErrorOf(exchange(authorized));
      expect(reused).to.include({ error: 'invalid_grant', status: 400 });

      expect(await active(tokens.access_token)).to.equal(false);
      const refresh = await oauthErrorOf(oidc.refreshTokenGrant(config, tokens.refresh_token as string));
      expect(refresh.error).to.equal('invalid_grant');
      expect((await oidc.tokenIntrospection(proxy, tokens.refresh_token as string)).active).to.equal(false);
      await expectGrantRevoked(grantId, 'code_reuse');
    });

    it('6. a rotated refresh token used again fails and revokes the grant (refresh_token_reuse)', async () => {
      const tokens = await exchange(await authorizeApp());
      const grantId = grantIdOf(tokens.access_token);
      const first = tokens.refresh_token as string;

      const rotated = await oidc.refreshTokenGrant(config, first);
      const second = rotated.refresh_token as string;
      expect(second).to.be.a('string').and.not.equal(first);
      expect(await active(rotated.access_token)).to.equal(true);

      const reused = await oauthErrorOf(oidc.refreshTokenGrant(config, first));
      expect(reused).to.include({ error: 'invalid_grant', status: 400 });

      // The legitimate holder of the rotated token is cut off too: the grant is gone.
      const successor = await oauthErrorOf(oidc.refreshTokenGrant(config, second));
      expect(successor.error).to.equal('invalid_grant');
      for (const token of [tokens.access_token, rotated.access_token, second]) {
        expect(await active(token)).to.equal(false);
      }
      await expectGrantRevoked(grantId, 'refresh_token_reuse');
    });
  });
}
