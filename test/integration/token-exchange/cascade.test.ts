import { expect } from 'chai';
import * as oidc from 'openid-client';
import { engines } from '../../support/databases.ts';
import { freePort } from '../../support/free-port.ts';
import { grantIdOf, grantStoreOf } from '../../support/limited-grant.ts';
import { discover } from '../../support/oauth-flow.ts';
import { openaiClient } from '../../support/proxy-clients.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';
import { signInToAccount } from '../../support/security-checks.ts';
import { type RunningProxy, startProxy } from '../../support/start-proxy.ts';
import { exchangeToken } from '../../support/token-exchange.ts';
import { createUserAgent, csrfOf } from '../../support/user-agent.ts';
import { assertPage, textOf } from '../../unit/as/views/html-checks.ts';

const hello = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hello' }] };

for (const engine of engines) {
  describe(`token exchange: revocation cascades, introspection shows the chain (${engine})`, function () {
    this.timeout(30_000);
    let fx: ProxyFixture;
    let other: RunningProxy;
    let otherBase: string;
    let apps = 0;
    before(async () => {
      fx = await startProxyFixture(engine);
      const port = await freePort();
      other = await startProxy(fx.as, fx.upstream, { proxy: { port } });
      otherBase = `http://127.0.0.1:${port}/openai/v1`;
    });
    after(async () => {
      await other?.close();
      await fx?.close();
    });

    async function chainOfThree() {
      const app = await fx.addApp(`Agent ${++apps}`);
      const config = await discover(fx.as, app.clientId);
      const parent = await app.grant('openai:*:chat');
      const childAnswer = await exchangeToken(config, parent.accessToken, { actor: 'planner' });
      const child = String(childAnswer.body.access_token);
      const grandAnswer = await exchangeToken(config, child, { actor: 'coder' });
      const grandchild = String(grandAnswer.body.access_token);
      return { config, parent, child, grandchild };
    }

    const status = async (base: string, token: string) =>
      openaiClient(base, token)
        .chat.completions.create(hello)
        .then(
          () => 200,
          (err: { status?: number }) => err.status ?? 0,
        );

    it('revoking the parent (RFC 7009) revokes every descendant: both proxies refuse the children at once', async () => {
      const { config, parent, child, grandchild } = await chainOfThree();
      for (const base of [fx.proxy.openaiBaseURL, otherBase])
        for (const token of [child, grandchild]) expect(await status(base, token)).to.equal(200);

      await oidc.tokenRevocation(config, parent.refreshToken, { token_type_hint: 'refresh_token' });
      await Promise.all(
        [fx.proxy, other].flatMap((p) =>
          [grantIdOf(child), grantIdOf(grandchild)].map((id) => p.revocationDelivered(id)),
        ),
      );
      for (const base of [fx.proxy.openaiBaseURL, otherBase])
        for (const token of [parent.accessToken, child, grandchild])
          expect(await status(base, token)).to.equal(401);

      const log = await fx.as.database
        .db('revocations')
        .whereIn('subject_id', [grantIdOf(child), grantIdOf(grandchild)])
        .select('subject_id', 'reason');
      expect(log).to.have.deep.members([
        { subject_id: grantIdOf(child), reason: 'parent_revoked' },
        { subject_id: grantIdOf(grandchild), reason: 'parent_revoked' },
      ]);
      // A revoked chain cannot be exchanged again.
      const again = await exchangeToken(config, child, { actor: 'late' });
      expect([again.status, again.body.error]).to.deep.equal([400, 'invalid_grant']);
    });

    it('revoking a middle child through the revocation store (what the CLI and the account page call) ends it and its children, not the parent', async () => {
      const { parent, child, grandchild } = await chainOfThree();
      await fx.as.stores.revocations.revokeGrant(grantIdOf(child), 'cli');
      await Promise.all([fx.proxy, other].map((p) => p.revocationDelivered(grantIdOf(grandchild))));
      expect(await status(otherBase, grandchild)).to.equal(401);
      expect(await status(otherBase, child)).to.equal(401);
      expect(await status(otherBase, parent.accessToken)).to.equal(200);
      const record = await grantStoreOf(fx).find(grantIdOf(grandchild));
      expect(record?.revokedReason).to.equal('parent_revoked');
    });

    it('introspection of a child shows act and the chain of grants', async () => {
      const { parent, child, grandchild } = await chainOfThree();
      const proxy = await discover(fx.as, fx.as.proxyClient.id, fx.as.proxyClient.secret);
      const seen = await oidc.tokenIntrospection(proxy, grandchild);
      expect(seen.active).to.equal(true);
      expect(seen.act).to.deep.equal({ sub: 'coder', act: { sub: 'planner' } });
      expect(seen.grant_id).to.equal(grantIdOf(grandchild));
      expect(seen.parent_grant_id).to.equal(grantIdOf(child));
      expect(seen.grant_chain).to.deep.equal([grantIdOf(child), grantIdOf(parent.accessToken)]);
      const root = await oidc.tokenIntrospection(proxy, parent.accessToken);
      expect(root.active).to.equal(true);
      expect(root).to.not.have.property('act');
      expect(root).to.not.have.property('parent_grant_id');
    });

    it("the person's app page lists the sub-agents with their usage; a sub-agent's page says whom it acts for", async () => {
      const { parent, child, grandchild } = await chainOfThree();
      expect(await status(fx.proxy.openaiBaseURL, grandchild)).to.equal(200);
      expect(await status(fx.proxy.openaiBaseURL, child)).to.equal(200);
      await fx.proxy.usage.flush();
      const ua = createUserAgent();
      expect((await signInToAccount(ua, fx.as, fx.username, fx.password)).status).to.equal(303);
      const page = await ua.request(`${fx.as.issuer}/account/apps/${grantIdOf(parent.accessToken)}`);
      expect(page.status).to.equal(200);
      assertPage(page.body, csrfOf(page.body));
      const row = (token: string) => textOf(page.body, new RegExp(`<tr data-grant-id="${grantIdOf(token)}"`));
      // The child counts its own request and its grandchild's; the grandchild its own.
      expect(row(child)).to.match(
        /^planner openai:\*:chat until .+ UTC 2 \(no cap\) \d+ \(no cap\) \$[\d.]+ \(no cap\)$/,
      );
      expect(row(grandchild)).to.match(/^coder, for planner openai:\*:chat until .+ UTC 1 \(no cap\)/);
      const own = await ua.request(`${fx.as.issuer}/account/apps/${grantIdOf(grandchild)}`);
      expect(own.status).to.equal(200);
      expect(textOf(own.body, /<h1>/)).to.match(/sub-agent coder, for planner$/);
      // Both audit trails say it: the parent handed access on, the child was carved for whom.
      expect(page.body).to.include('Handed part of its access to sub-agent planner: access to openai:*:chat');
      expect(own.body).to.include('Carved out for sub-agent coder, for planner: access to openai:*:chat');
      // The account overview lists apps, not their sub-agents.
      const home = await ua.request(`${fx.as.issuer}/account`);
      expect(home.body).to.not.include(grantIdOf(child));
    });
  });
}
