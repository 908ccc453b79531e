import { expect } from 'chai';
import { decodeJwt } from 'jose';
import type * as oidc from 'openid-client';
import { engines } from '../../support/databases.ts';
import { grantIdOf, grantStoreOf, lowerLimits } from '../../support/limited-grant.ts';
import { discover } from '../../support/oauth-flow.ts';
import { openaiClient, rejectionOf } from '../../support/proxy-clients.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';
import { startAuthorizationServer } from '../../support/start-authorization-server.ts';
import { exchangeToken, TOKEN_EXCHANGE } from '../../support/token-exchange.ts';

const hello = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hello' }] };

for (const engine of engines) {
  describe(`token exchange for sub-agents (${engine})`, function () {
    this.timeout(30_000);
    let fx: ProxyFixture;
    before(async () => {
      fx = await startProxyFixture(engine);
    });
    after(async () => {
      await fx.close();
    });
    let apps = 0;
    /** A new app of the person's (so no earlier grant's scopes carry over), granted `scope`. */
    async function appWith(scope: string) {
      const app = await fx.addApp(`Agent ${++apps}`);
      const config: oidc.Configuration = await discover(fx.as, app.clientId);
      return { config, ...(await app.grant(scope)) };
    }

    it('is advertised in the metadata, and neither advertised nor accepted when off', async () => {
      expect(fx.oidc.serverMetadata().grant_types_supported).to.include(TOKEN_EXCHANGE);
      const off = await startAuthorizationServer(engine, {
        as: { tokenExchange: { enabled: false, maxDepth: 3 } },
      });
      try {
        const app = await off.addClient({ name: 'Off' });
        const config = await discover(off, app.clientId);
        expect(config.serverMetadata().grant_types_supported).to.not.include(TOKEN_EXCHANGE);
        const refused = await exchangeToken(config, 'anything', { actor: 'a' });
        expect([refused.status, refused.body.error]).to.deep.equal([400, 'unsupported_grant_type']);
      } finally {
        await off.close();
      }
    });

    it('gives a child token with a subset of the scopes, an act claim and its own grant, served by the proxy', async () => {
      const parent = await appWith('openai:*:chat anthropic:*:chat');
      const answer = await exchangeToken(parent.config, parent.accessToken, {
        scope: 'openai:gpt-4o-mini:chat',
        actor: 'researcher',
      });
      expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
      expect(answer.body.issued_token_type).to.equal('urn:ietf:params:oauth:token-type:access_token');
      expect(answer.body.token_type).to.equal('Bearer');
      expect(answer.body.scope).to.equal('openai:gpt-4o-mini:chat');
      const child = String(answer.body.access_token);
      const claims = decodeJwt(child);
      expect(claims.act).to.deep.equal({ sub: 'researcher' });
      expect(claims.client_id).to.equal(parent.config.clientMetadata().client_id);
      expect(claims.scope).to.equal('openai:gpt-4o-mini:chat');
      const parentId = grantIdOf(parent.accessToken);
      expect(claims.grant_id).to.not.equal(parentId);
      const record = await grantStoreOf(fx).find(String(claims.grant_id));
      expect(record?.parentGrantId).to.equal(parentId);
      expect(record?.depth).to.equal(1);

      // The log says which grant was issued, never a token.
      const issued = fx.as.logs
        .lines()
        .find((l) => l.event === 'grant.success' && l.grantId === claims.grant_id);
      expect(issued?.grantType).to.equal(TOKEN_EXCHANGE);
      expect(fx.as.logs.text()).to.not.include(parent.accessToken).and.not.include(child);
      const served = await openaiClient(fx.proxy.openaiBaseURL, child).chat.completions.create(hello);
      expect(served.choices[0]?.message.content).to.be.a('string');
      // Another model than the child's scope is refused at the proxy.
      const other = await rejectionOf(
        openaiClient(fx.proxy.openaiBaseURL, child).chat.completions.create({ ...hello, model: 'gpt-4o' }),
      );
      expect((other as { status?: number }).status).to.equal(403);
    });

    it('refuses a scope the subject token does not cover with invalid_scope', async () => {
      const parent = await appWith('openai:gpt-4o-mini:chat');
      for (const scope of [
        'openai:*:chat',
        'anthropic:*:chat',
        'openai:gpt-4o-mini:chat openai:gpt-4o:chat',
      ]) {
        const answer = await exchangeToken(parent.config, parent.accessToken, { scope, actor: 'helper' });
        expect(answer.status, scope).to.equal(400);
        expect(answer.body.error, scope).to.equal('invalid_scope');
      }
    });

    it('clamps the life to the subject token and honours a shorter one asked for', async () => {
      const parent = await appWith('openai:*:chat');
      const parentExp = Number(decodeJwt(parent.accessToken).exp);
      const longer = await exchangeToken(parent.config, parent.accessToken, {
        actor: 'a',
        expires_in: '999999999',
      });
      expect(longer.status).to.equal(200);
      expect(Number(decodeJwt(String(longer.body.access_token)).exp)).to.be.at.most(parentExp);
      expect(longer.body.expires_in).to.be.at.most(parentExp - Math.floor(Date.now() / 1000) + 1);
      const shorter = await exchangeToken(parent.config, parent.accessToken, {
        actor: 'b',
        expires_in: '60',
      });
      expect(shorter.status).to.equal(200);
      expect(shorter.body.expires_in).to.equal(60);
      const claims = decodeJwt(String(shorter.body.access_token));
      expect(Number(claims.exp) - Number(claims.iat)).to.equal(60);
      const record = await grantStoreOf(fx).find(String(claims.grant_id));
      expect(record?.expiresAt).to.be.at.most(Date.now() + 60_000);
    });

    it('nests act for deeper chains and refuses beyond the configured depth', async () => {
      const parent = await appWith('openai:*:chat');
      let token = parent.accessToken;
      const names = ['planner', 'coder', 'tester'];
      for (const name of names) {
        const answer = await exchangeToken(parent.config, token, { actor: name });
        expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
        token = String(answer.body.access_token);
      }
      expect(decodeJwt(token).act).to.deep.equal({
        sub: 'tester',
        act: { sub: 'coder', act: { sub: 'planner' } },
      });
      expect((await grantStoreOf(fx).find(grantIdOf(token)))?.depth).to.equal(3);
      const deeper = await exchangeToken(parent.config, token, { actor: 'too-deep' });
      expect(deeper.status).to.equal(400);
      expect(deeper.body.error).to.equal('invalid_request');
      expect(deeper.body.error_description).to.match(/at most 3 deep/);
    });

    it('bounds how many live sub-agents one access may have, also when they are asked for at once', async () => {
      const few = await startProxyFixture(engine, {
        as: { tokenExchange: { enabled: true, maxDepth: 3, maxLiveChildren: 3 } },
      });
      try {
        const { accessToken } = await few.grant('openai:*:chat');
        const answers = await Promise.all(
          Array.from({ length: 6 }, (_, i) => exchangeToken(few.oidc, accessToken, { actor: `worker-${i}` })),
        );
        const given = answers.filter((a) => a.status === 200);
        expect(given).to.have.length(3);
        for (const refused of answers.filter((a) => a.status !== 200)) {
          expect([refused.status, refused.body.error]).to.deep.equal([400, 'invalid_request']);
          expect(refused.body.error_description).to.equal(
            'this access already has 3 live sub-agents; revoke one or wait until one ends',
          );
        }
        // One ends: one more may start.
        await few.as.stores.revocations.revokeGrant(
          grantIdOf(String(given[0]?.body.access_token)),
          'account_page',
        );
        expect((await exchangeToken(few.oidc, accessToken, { actor: 'worker-7' })).status).to.equal(200);
        expect((await exchangeToken(few.oidc, accessToken, { actor: 'worker-8' })).status).to.equal(400);
      } finally {
        await few.close();
      }
    });

    it('refuses a bad subject token, another type, or no sub-agent', async () => {
      const parent = await appWith('openai:*:chat');
      const garbage = await exchangeToken(parent.config, 'not-a-token', { actor: 'a' });
      expect([garbage.status, garbage.body.error]).to.deep.equal([400, 'invalid_grant']);
      const noActor = await exchangeToken(parent.config, parent.accessToken);
      expect([noActor.status, noActor.body.error]).to.deep.equal([400, 'invalid_request']);
      const wrongType = await exchangeToken(parent.config, parent.accessToken, {
        actor: 'a',
        subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
      });
      expect([wrongType.status, wrongType.body.error]).to.deep.equal([400, 'invalid_request']);
      const refresh = await exchangeToken(parent.config, parent.refreshToken, { actor: 'a' });
      expect([refresh.status, refresh.body.error]).to.deep.equal([400, 'invalid_grant']);
    });

    it('carves caps out of what the parent has left, and clamps a larger ask', async () => {
      const parent = await appWith('openai:*:chat');
      await lowerLimits(fx, grantIdOf(parent.accessToken), { maxRequests: 5, maxTokens: 100_000 });
      await openaiClient(fx.proxy.openaiBaseURL, parent.accessToken).chat.completions.create(hello);
      const answer = await exchangeToken(parent.config, parent.accessToken, {
        actor: 'a',
        authorization_details: JSON.stringify([
          { type: 'ai_access', provider: 'openai', limits: { max_requests: 50, max_tokens: 500 } },
        ]),
      });
      expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
      const record = await grantStoreOf(fx).find(grantIdOf(String(answer.body.access_token)));
      expect(record?.limits.maxRequests).to.equal(4);
      expect(record?.limits.providers?.openai).to.include({ maxRequests: 4, maxTokens: 500 });
      expect(answer.body.authorization_details).to.deep.equal([
        {
          type: 'ai_access',
          provider: 'openai',
          limits: { max_requests: 4, max_tokens: 500, period: 'lifetime' },
        },
      ]);
    });

    it('names the sub-agent by its own access token (actor_token), and refuses bad targets and details', async () => {
      const parent = await appWith('openai:*:chat');
      const helper = await appWith('openai:*:chat');
      const helperId = helper.config.clientMetadata().client_id;
      const answer = await exchangeToken(parent.config, parent.accessToken, {
        actor_token: helper.accessToken,
        actor_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      });
      expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
      expect(decodeJwt(String(answer.body.access_token)).act).to.deep.equal({
        sub: decodeJwt(helper.accessToken).sub,
        client_id: helperId,
      });
      const bad = async (params: Record<string, string>) => {
        const refused = await exchangeToken(parent.config, parent.accessToken, { actor: 'a', ...params });
        return `${refused.status} ${refused.body.error}`;
      };
      expect(
        await bad({
          actor_token: 'garbage',
          actor_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        }),
      ).to.equal('400 invalid_request');
      expect(await bad({ resource: 'https://elsewhere.example' })).to.equal('400 invalid_target');
      expect(await bad({ requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' })).to.equal(
        '400 invalid_request',
      );
      expect(await bad({ expires_in: '-5' })).to.equal('400 invalid_request');
      expect(
        await bad({
          authorization_details: JSON.stringify([
            { type: 'ai_access', provider: 'anthropic', limits: { max_requests: 1 } },
          ]),
        }),
      ).to.equal('400 invalid_authorization_details');
      expect(
        await bad({
          authorization_details: JSON.stringify([
            { type: 'ai_access', provider: 'openai', limits: { max_requests: 1, period: 'month' } },
          ]),
        }),
      ).to.equal('400 invalid_authorization_details');
      // Another client's token is not this client's to exchange.
      const foreign = await exchangeToken(parent.config, helper.accessToken, { actor: 'a' });
      expect(`${foreign.status} ${foreign.body.error}`).to.equal('400 invalid_grant');
    });
  });
}
