import { expect } from 'chai';
import OpenAI from 'openai';
import { engines } from '../../support/databases.ts';
import { limitedGrant } from '../../support/limited-grant.ts';
import { type ProxyFixture, startProxyFixture } from '../../support/proxy-fixture.ts';
import { signInToAccount } from '../../support/security-checks.ts';
import { createUserAgent, type UserAgent } from '../../support/user-agent.ts';

const LEASES = { leases: { enabled: true, idleMs: 10_000 } };

/*
 * With leases, what a proxy holds as a slice of the grant's budget is shown as set aside
 * for the app, apart from what requests in flight hold, on the app page and in the JSON;
 * what is left is what the proxies would still admit, and returns when the slice does.
 */
for (const engine of engines) {
  describe(`account: a proxy's slice is shown as set aside (${engine})`, function () {
    this.timeout(60_000);
    let fx: ProxyFixture;
    let person: UserAgent;

    before(async () => {
      fx = await startProxyFixture(engine, { proxy: LEASES });
      person = createUserAgent();
      expect((await signInToAccount(person, fx.as, fx.username, fx.password)).status).to.equal(303);
    });
    after(() => fx?.close());

    async function requests(grantId: string) {
      const res = await person.request(
        `${fx.as.issuer}/account/api/grants/${encodeURIComponent(grantId)}/usage`,
      );
      expect(res.status).to.equal(200);
      return JSON.parse(res.body).whole_grant.usage.requests as Record<string, number>;
    }

    it('one request out of a slice of two: 1 used, 1 set aside, 8 left; 9 left once the slice is returned', async () => {
      const { accessToken, grantId } = await limitedGrant(fx, { maxRequests: 10 }, 'openai:*:chat');
      await new OpenAI({
        apiKey: accessToken,
        baseURL: fx.proxy.openaiBaseURL,
        maxRetries: 0,
      }).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
      // What the request used reaches the ledger with the slice's next write.
      let shown = await requests(grantId);
      for (let i = 0; i < 100 && shown.used !== 1; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        shown = await requests(grantId);
      }
      expect(shown).to.deep.include({ used: 1, in_flight: 0, set_aside: 1, limit: 10, remaining: 8 });
      const page = await person.request(`${fx.as.issuer}/account/apps/${encodeURIComponent(grantId)}`);
      expect(page.body).to.include('1 set aside for this app').and.include('data-set-aside="1"');
      // A proxy that stops returns its slices.
      await fx.restartProxy(LEASES);
      expect(await requests(grantId)).to.deep.include({ used: 1, in_flight: 0, set_aside: 0, remaining: 9 });
    });
  });
}
