import { expect } from 'chai';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { engines } from '../../support/databases.ts';
import { authorize, discover, exchange, oauthErrorOf } from '../../support/oauth-flow.ts';
import { captureProviderNotices } from '../../support/provider-notices.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import { createUserAgent } from '../../support/user-agent.ts';

const SCOPE = 'openai:gpt-4o-mini:chat anthropic:*:chat';

for (const engine of engines) {
  describe(`authorization code + PKCE flow with openid-client (${engine})`, () => {
    let as: RunningAs;
    let app: { clientId: string; redirectUri: string };
    let proxy: oidc.Configuration;

    let notices: ReturnType<typeof captureProviderNotices>;

    before(async () => {
      notices = captureProviderNotices();
      as = await startAuthorizationServer(engine);
      await as.addUser('alice', 'correct horse battery');
      app = await as.addClient({ name: 'Writer' });
      proxy = await discover(as, as.proxyClient.id, as.proxyClient.secret);
    });
    after(async () => {
      notices.restore();
      await as.close();
    });

    it('advertises only what is supported', async () => {
      const meta = proxy.serverMetadata();
      expect(meta.issuer).to.equal(as.issuer);
      expect(meta.response_types_supported).to.deep.equal(['code']);
      expect(meta.grant_types_supported).to.have.members([
        'authorization_code',
        'refresh_token',
        'urn:ietf:params:oauth:grant-type:device_code',
        'urn:ietf:params:oauth:grant-type:token-exchange',
      ]);
      expect(meta.device_authorization_endpoint).to.equal(`${as.issuer}/device/auth`);
      expect(meta.code_challenge_methods_supported).to.deep.equal(['S256']);
      expect(meta.response_modes_supported).to.deep.equal(['query']);
      expect(meta.grant_management_actions_supported).to.deep.equal(['update']);
      expect(meta.token_endpoint_auth_methods_supported).to.have.members([
        'none',
        'client_secret_basic',
        'client_secret_post',
      ]);
      expect(meta.dpop_signing_alg_values_supported).to.have.members(['ES256', 'Ed25519', 'EdDSA']);
      expect(meta.authorization_response_iss_parameter_supported).to.equal(true);
      expect(meta.revocation_endpoint).to.be.a('string');
      expect(meta.introspection_endpoint).to.be.a('string');
      const oauth = (await (await fetch(`${as.issuer}/.well-known/oauth-authorization-server`)).json()) as {
        issuer: string;
      };
      expect(oauth.issuer).to.equal(as.issuer);
    });

    it('issues an RFC 9068 JWT for the proxy, refreshes with rotation, and revocation cascades', async () => {
      const config = await discover(as, app.clientId);
      const ua = createUserAgent();
      const authorized = await authorize(config, as, ua, { redirectUri: app.redirectUri, scope: SCOPE });
      expect(authorized.callbackUrl.searchParams.get('iss')).to.equal(as.issuer);
      const tokens = await exchange(authorized);
      expect(tokens.token_type).to.equal('bearer');
      expect(tokens.refresh_token).to.be.a('string');
      expect(tokens.scope?.split(' ')).to.have.members(SCOPE.split(' '));

      const jwks = createRemoteJWKSet(new URL(`${as.issuer}/jwks`));
      expect(decodeProtectedHeader(tokens.access_token).typ).to.equal('at+jwt');
      const { payload } = await jwtVerify(tokens.access_token, jwks, {
        issuer: as.issuer,
        audience: as.proxyUrl,
        typ: 'at+jwt',
      });
      expect(payload.client_id).to.equal(app.clientId);
      expect((payload.scope as string).split(' ')).to.have.members(SCOPE.split(' '));
      expect(payload.jti).to.be.a('string');
      expect(payload.grant_id).to.be.a('string');
      expect((payload.exp as number) - (payload.iat as number)).to.be.at.most(3600);

      const live = await oidc.tokenIntrospection(proxy, tokens.access_token);
      expect(live.active).to.equal(true);
      expect(live.client_id).to.equal(app.clientId);
      expect(live.grant_id).to.equal(payload.grant_id);

      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
      expect(refreshed.refresh_token).to.be.a('string').and.not.equal(tokens.refresh_token);
      const { payload: second } = await jwtVerify(refreshed.access_token, jwks, {
        issuer: as.issuer,
        audience: as.proxyUrl,
      });
      expect(second.grant_id).to.equal(payload.grant_id);

      await oidc.tokenRevocation(config, refreshed.refresh_token as string);
      for (const token of [tokens.access_token, refreshed.access_token]) {
        expect((await oidc.tokenIntrospection(proxy, token)).active).to.equal(false);
      }
      const grant = await as.stores.grants.find(payload.grant_id as string);
      expect(grant?.revokedReason).to.equal('refresh_token_revoked');
      const log = await as.stores.revocations.readLog(0);
      expect(log.some((e) => e.kind === 'grant' && e.subjectId === payload.grant_id)).to.equal(true);
      const error = await oauthErrorOf(oidc.refreshTokenGrant(config, refreshed.refresh_token as string));
      expect(error.error).to.equal('invalid_grant');
    });

    it('revoking one access token makes just that token inactive', async () => {
      const config = await discover(as, app.clientId);
      const authorized = await authorize(config, as, createUserAgent(), {
        redirectUri: app.redirectUri,
        scope: SCOPE,
      });
      const tokens = await exchange(authorized);
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
      await oidc.tokenRevocation(config, tokens.access_token);
      expect((await oidc.tokenIntrospection(proxy, tokens.access_token)).active).to.equal(false);
      expect((await oidc.tokenIntrospection(proxy, refreshed.access_token)).active).to.equal(true);
      const log = await as.stores.revocations.readLog(0);
      expect(log.some((e) => e.kind === 'token' && e.reason === 'access_token_revoked')).to.equal(true);
    });

    it('a confidential client authenticates with its secret, which is stored only hashed', async () => {
      const confidential = await as.addClient({ name: 'Server App', confidential: true });
      const row = await as.database.db('clients').where({ client_id: confidential.clientId }).first();
      expect(row.secret_hash).to.match(/^sha256:/);
      expect(JSON.stringify(row)).to.not.include(confidential.clientSecret);
      const config = await discover(as, confidential.clientId, confidential.clientSecret);
      const tokens = await exchange(
        await authorize(config, as, createUserAgent(), {
          redirectUri: confidential.redirectUri,
          scope: SCOPE,
        }),
      );
      expect(tokens.access_token).to.be.a('string');
      const wrong = await discover(as, confidential.clientId, 'not-the-secret-not-the-secret-not-the-secret');
      const error = await oauthErrorOf(oidc.refreshTokenGrant(wrong, tokens.refresh_token as string));
      expect(error).to.include({ error: 'invalid_client', status: 401 });
    });

    it('a browser app may call the token endpoint from its redirect origin only (CORS)', async () => {
      const origin = new URL(app.redirectUri).origin;
      const preflight = (from: string) =>
        fetch(`${as.issuer}/token`, {
          method: 'OPTIONS',
          headers: { origin: from, 'access-control-request-method': 'POST' },
        });
      expect((await preflight(origin)).headers.get('access-control-allow-origin')).to.equal(origin);
      const post = (from: string) =>
        fetch(`${as.issuer}/token`, {
          method: 'POST',
          headers: { origin: from, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            refresh_token: 'x',
            client_id: app.clientId,
          }),
        });
      expect((await post(origin)).headers.get('access-control-allow-origin')).to.equal(origin);
      const foreign = await post('https://evil.example');
      expect(foreign.headers.get('access-control-allow-origin')).to.equal(null);
    });

    it('unticked scopes are not granted, and the chosen duration bounds the refresh token', async () => {
      const config = await discover(as, app.clientId);
      const tokens = await exchange(
        await authorize(config, as, createUserAgent(), {
          redirectUri: app.redirectUri,
          scope: SCOPE,
          untick: ['anthropic:*:chat'],
          duration: 3600,
        }),
      );
      expect(tokens.scope).to.equal('openai:gpt-4o-mini:chat');
      const claims = (await oidc.tokenIntrospection(proxy, tokens.access_token)) as { grant_id?: string };
      const grant = await as.stores.grants.find(claims.grant_id as string);
      expect(grant?.scopes).to.deep.equal(['openai:gpt-4o-mini:chat']);
      expect(grant?.expiresAt).to.be.within(Date.now() + 3590_000, Date.now() + 3600_000);
      const rt = await as.database
        .db('oidc_payloads')
        .where({ model: 'RefreshToken', grant_id: claims.grant_id })
        .first();
      expect(Number(rt.expires_at)).to.be.at.most(grant?.expiresAt as number);
      expect(Number(rt.expires_at)).to.be.at.least((grant?.expiresAt as number) - 5000);
    });

    it('prints no oidc-provider WARNING or NOTICE along the way', () => {
      expect(notices.seen).to.deep.equal([]);
    });
  });
}
