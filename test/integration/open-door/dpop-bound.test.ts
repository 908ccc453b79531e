import { expect } from 'chai';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import { engines } from '../../support/databases.ts';
import { insecure, registerDpopApp } from '../../support/dpop-app.ts';
import { claimsOf } from '../../support/mint-token.ts';
import { discover } from '../../support/oauth-flow.ts';
import { openDoorFixtureHooks } from '../../support/open-door-fixture.ts';
import { expectDpopChallenge } from '../../support/proxy-clients.ts';
import type { ProxyFixture } from '../../support/proxy-fixture.ts';

/*
 * DPoP (RFC 9449) at the authorization server, with oauth4webapi as the client: an app
 * registered (RFC 7591) with `dpop_bound_access_tokens` gets tokens bound to its key,
 * refreshes only with a proof of that key, and the proxy refuses a bound token
 * presented as a bearer token (the proxy's proof checks: dpop-proxy.test.ts).
 */
for (const engine of engines) {
  describe(`DPoP-bound tokens from the authorization server, oauth4webapi (${engine})`, () => {
    let fx: ProxyFixture;
    openDoorFixtureHooks(engine, (door) => {
      ({ fx } = door);
    });

    it('binds the tokens to the key, refreshes only with its proof; the proxy refuses the token as Bearer', async () => {
      const { server, client, registered, authorize } = await registerDpopApp(fx);
      expect(server.dpop_signing_alg_values_supported).to.have.members(['ES256', 'Ed25519', 'EdDSA']);
      expect(registered.dpop_bound_access_tokens).to.equal(true);
      const keys = await oauth.generateKeyPair('ES256');
      const jkt = await calculateJwkThumbprint(await exportJWK(keys.publicKey));
      const authorizeOnce = (DPoP?: oauth.DPoPHandle) => authorize('openai:*:chat', DPoP);

      // The client requires DPoP: a code redeemed without a proof gets no token.
      const refused = await authorizeOnce().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refused).to.be.instanceOf(oauth.ResponseBodyError);
      // oidc-provider says why ("DPoP proof JWT not provided") only in its log.
      expect((refused as oauth.ResponseBodyError).error).to.equal('invalid_grant');

      const tokens = await authorizeOnce(oauth.DPoP(client, keys));
      expect(tokens.token_type).to.equal('dpop');
      expect(claimsOf(tokens.access_token).cnf).to.deep.equal({ jkt });
      const introspected = await oidc.tokenIntrospection(
        await discover(fx.as, fx.as.proxyClient.id, fx.as.proxyClient.secret),
        tokens.access_token,
      );
      expect(introspected).to.include({ active: true, token_type: 'DPoP' });
      expect(introspected.cnf).to.deep.equal({ jkt });

      // Presented as a bearer token, the bound token is refused, whatever the SDK header.
      for (const headers of [
        { authorization: `Bearer ${tokens.access_token}` },
        { 'x-api-key': tokens.access_token },
      ]) {
        const res = await fetch(`${fx.proxy.openaiBaseURL}/chat/completions`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
        });
        expect(res.status).to.equal(401);
        expectDpopChallenge(res.headers, 'invalid_token');
        expect(await res.text()).to.include('bound to a DPoP key');
      }

      // The refresh token is bound too: without a proof, or with another key's, no token.
      const refresh = tokens.refresh_token as string;
      const other = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
      for (const DPoP of [undefined, other]) {
        const err = await oauth
          .refreshTokenGrantRequest(server, client, oauth.None(), refresh, { ...insecure, DPoP })
          .then((res) => oauth.processRefreshTokenResponse(server, client, res))
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(err).to.be.instanceOf(oauth.ResponseBodyError);
        expect((err as oauth.ResponseBodyError).error).to.be.oneOf(['invalid_grant', 'invalid_dpop_proof']);
      }
      const DPoP = oauth.DPoP(client, keys);
      const refreshed = await oauth.processRefreshTokenResponse(
        server,
        client,
        await oauth.refreshTokenGrantRequest(server, client, oauth.None(), refresh, { ...insecure, DPoP }),
      );
      expect(refreshed.token_type).to.equal('dpop');
      expect(claimsOf(refreshed.access_token).cnf).to.deep.equal({ jkt });
    });
  });
}
