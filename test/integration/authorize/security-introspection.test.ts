import { expect } from 'chai';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { engines } from '../../support/databases.ts';
import { authorize, discover, exchange } from '../../support/oauth-flow.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import { createUserAgent } from '../../support/user-agent.ts';

const SCOPE = 'openai:gpt-4o-mini:chat';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/*
 * Introspection answers only the proxy; anything the authorization server did not sign,
 * or no longer honours, is inactive; revoking what is not a token of the caller is a
 * harmless 200 (RFC 7009 section 2.2) that changes nothing.
 */
for (const engine of engines) {
  describe(`introspection and revocation of foreign tokens (${engine})`, () => {
    let as: RunningAs;
    let proxy: oidc.Configuration;

    before(async () => {
      as = await startAuthorizationServer(engine);
      await as.addUser('alice', 'correct horse battery');
      proxy = await discover(as, as.proxyClient.id, as.proxyClient.secret);
    });
    after(() => as.close());

    async function connectedApp(confidential: boolean) {
      const app = await as.addClient({ name: confidential ? 'Server App' : 'Public App', confidential });
      const config = await discover(as, app.clientId, app.clientSecret);
      const tokens = await exchange(
        await authorize(config, as, createUserAgent(), { redirectUri: app.redirectUri, scope: SCOPE }),
      );
      return { app, config, tokens };
    }

    /** Raw RFC 7009 revocation by a public client: the status code is the whole answer. */
    async function revokeRaw(clientId: string, token: string): Promise<number> {
      const endpoint = proxy.serverMetadata().revocation_endpoint as string;
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, client_id: clientId }),
      });
      await res.arrayBuffer();
      return res.status;
    }

    it('15. an app introspecting with its own credentials learns nothing: {active:false} for a live JWT', async () => {
      for (const confidential of [true, false]) {
        const { config, tokens } = await connectedApp(confidential);
        expect((await oidc.tokenIntrospection(proxy, tokens.access_token)).active).to.equal(true);

        const kind = confidential ? 'confidential' : 'public';
        expect(await oidc.tokenIntrospection(config, tokens.access_token), kind).to.deep.equal({
          active: false,
        });
        expect(await oidc.tokenIntrospection(config, tokens.refresh_token as string), kind).to.deep.equal({
          active: false,
        });
        // Asking did not spend or harm the token.
        expect((await oidc.tokenIntrospection(proxy, tokens.access_token)).active).to.equal(true);
      }
    });

    it('16. forged, tampered, alg:none and garbage tokens introspect inactive; revoking them is a no-op 200', async () => {
      const { app, config, tokens } = await connectedApp(false);
      const real = tokens.access_token;
      const claims = decodeJwt(real);
      const header = decodeProtectedHeader(real);
      const [realHeader, , realSignature] = real.split('.');

      const { privateKey } = await generateKeyPair('ES256');
      const otherKey = await new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', ...(header.kid ? { kid: header.kid } : {}) })
        .sign(privateKey);
      const widened = `${realHeader}.${b64({ ...claims, scope: 'openai:*:chat anthropic:*:chat' })}.${realSignature}`;
      const algNone = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`;
      const forgeries = {
        otherKey,
        widened,
        algNone,
        garbage: 'not-a-token',
        garbageJwt: 'eyJhbGciOiJFUzI1NiJ9.e30.AAAA',
        truncated: real.slice(0, -10),
      };

      for (const [name, token] of Object.entries(forgeries)) {
        expect(await oidc.tokenIntrospection(proxy, token), name).to.deep.equal({ active: false });
      }

      const seqBefore = await as.stores.revocations.lastSeq();
      for (const [name, token] of Object.entries(forgeries)) {
        expect(await revokeRaw(app.clientId, token), name).to.equal(200);
        await oidc.tokenRevocation(config, token);
      }
      // A forged token carrying the real token's jti did not revoke the real one.
      expect(await as.stores.revocations.lastSeq()).to.equal(seqBefore);
      expect(await as.stores.revocations.isTokenRevoked(claims.jti as string)).to.equal(false);
      expect((await oidc.tokenIntrospection(proxy, real)).active).to.equal(true);
    });
  });

  describe(`introspection of an expired access token (${engine})`, () => {
    let as: RunningAs;
    let skew = 0;
    before(async () => {
      as = await startAuthorizationServer(engine, { as: { accessTokenTtl: 60 } }, () => Date.now() + skew);
      await as.addUser('alice', 'correct horse battery');
    });
    after(() => as.close());

    it('16b. an expired JWT of a live grant introspects inactive; revoking it is a no-op 200', async () => {
      const app = await as.addClient({ name: 'Short-lived' });
      const config = await discover(as, app.clientId);
      const proxy = await discover(as, as.proxyClient.id, as.proxyClient.secret);
      const tokens = await exchange(
        await authorize(config, as, createUserAgent(), { redirectUri: app.redirectUri, scope: SCOPE }),
      );
      const { exp, grant_id } = decodeJwt(tokens.access_token) as { exp: number; grant_id: string };
      skew = exp * 1000 - Date.now() + 1000; // the server's clock moves past the token's expiry

      expect(await oidc.tokenIntrospection(proxy, tokens.access_token)).to.deep.equal({ active: false });
      expect(await as.stores.grants.isLive(grant_id), 'the grant itself lives on').to.equal(true);
      const seqBefore = await as.stores.revocations.lastSeq();
      await oidc.tokenRevocation(config, tokens.access_token);
      expect(await as.stores.revocations.lastSeq()).to.equal(seqBefore);

      // Only the token ended: the grant still refreshes (the new token is as short-lived).
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
      expect(decodeJwt(refreshed.access_token).grant_id).to.equal(grant_id);
    });
  });
}
