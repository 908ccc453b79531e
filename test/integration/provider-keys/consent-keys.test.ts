import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { engines } from '../../support/databases.ts';
import {
  type AuthorizeOptions,
  discover,
  signInAndReachConsent,
  startAuthorization,
} from '../../support/oauth-flow.ts';
import { signInToAccount } from '../../support/security-checks.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import { createUserAgent, csrfOf, formAction, type Hop, type UserAgent } from '../../support/user-agent.ts';

const PASSWORD = 'correct horse battery';
const BOTH = 'openai:gpt-4o-mini:chat anthropic:*:chat';
const OPENAI_KEY = 'sk-proj-ConsentTest_0123456789abcdef_9Zz1';

/*
 * Consent and provider keys: a provider the person holds no key for (and the operator
 * configured none) is flagged on the consent page, and Allow for it is refused with a
 * clear message and creates no grant; with a stored key or an operator key it is allowed.
 */
for (const engine of engines) {
  describe(`consent needs a provider key (${engine})`, () => {
    let as: RunningAs;
    let withOperator: RunningAs;

    before(async () => {
      as = await startAuthorizationServer(engine, { proxy: { operatorKeys: {} } });
      withOperator = await startAuthorizationServer(engine, {
        proxy: { operatorKeys: { anthropic: 'sk-ant-operator-consent-test-0000' } },
      });
      for (const server of [as, withOperator]) {
        await server.addUser('alice', PASSWORD);
        await server.addUser('bob', PASSWORD);
      }
    });
    after(async () => {
      await as.close();
      await withOperator.close();
    });

    async function reachConsent(server: RunningAs, username: string, scope = BOTH) {
      const app = await server.addClient({ name: 'Key Checker' });
      const config: oidc.Configuration = await discover(server, app.clientId);
      const ua = createUserAgent();
      const opts: AuthorizeOptions = { redirectUri: app.redirectUri, scope, username };
      const { url } = await startAuthorization(config, server, opts);
      const page = await signInAndReachConsent(ua, url.toString(), opts);
      expect(page.status).to.equal(200);
      expect(page.body).to.include('name="decision"');
      return { ua, page, app };
    }

    function decide(ua: UserAgent, page: Hop, scopes: string[], decision = 'allow') {
      const duration = /<option value="(\d+)" selected/.exec(page.body)?.[1] as string;
      return ua.request(formAction(page.body, page.url, '/consent'), {
        form: { csrf: csrfOf(page.body), scope: scopes, duration, decision },
      });
    }

    const grantsOf = (server: RunningAs, clientId: string) =>
      server.database.db('grants').where({ client_id: clientId });
    const storedGrantsOf = async (server: RunningAs, clientId: string) =>
      (await server.database.db('oidc_payloads').where({ model: 'Grant' }).select('payload')).filter(
        (row) => (JSON.parse(row.payload) as { clientId?: string }).clientId === clientId,
      );

    it('warns about every requested provider with no key, and refuses Allow with a clear message and no grant', async () => {
      const { ua, page, app } = await reachConsent(as, 'alice');
      expect(page.body).to.include('<strong>No key stored for OpenAI, Anthropic.</strong>');
      expect(page.body).to.include('href="/account/keys"');
      expect(page.body.match(/no key stored<\/span>/g)).to.have.length(2);

      const refused = await decide(ua, page, ['openai:gpt-4o-mini:chat', 'anthropic:*:chat']);
      expect(refused.status).to.equal(400);
      expect(refused.location).to.equal(undefined);
      expect(refused.body).to.include('role="alert"');
      expect(refused.body).to.include(
        'You have no keys stored for OpenAI and Anthropic, so you cannot allow access to them yet.',
      );
      // One banner says it, with the link to the keys page: not a warning and an error repeating it.
      expect(refused.body.match(/class="alert /g)).to.have.length(1);
      expect(refused.body).to.not.include('No key stored for');
      expect(refused.body).to.include('href="/account/keys"');
      expect(await grantsOf(as, app.clientId)).to.have.length(0);
      expect(await storedGrantsOf(as, app.clientId)).to.have.length(0);

      // Deny still goes back to the app.
      const denied = await decide(ua, refused, [], 'deny');
      expect(denied.status).to.equal(303);
      const back = await ua.follow(denied.location as string, app.redirectUri);
      expect(new URL(back.location as string).searchParams.get('error')).to.equal('access_denied');
    });

    it('with a stored key: only the provider still missing is flagged and refused; unticking it is allowed', async () => {
      const account = createUserAgent();
      expect((await signInToAccount(account, as, 'bob', PASSWORD)).status).to.equal(303);
      const keysPage = await account.request(`${as.issuer}/account/keys`);
      const saved = await account.request(formAction(keysPage.body, keysPage.url, '/account/keys/openai'), {
        form: { csrf: csrfOf(keysPage.body), key: OPENAI_KEY },
      });
      expect(saved.status).to.equal(303);

      const { ua, page, app } = await reachConsent(as, 'bob');
      expect(page.body).to.include('<strong>No key stored for Anthropic.</strong>');
      expect(page.body.match(/no key stored<\/span>/g)).to.have.length(1);

      const refused = await decide(ua, page, ['openai:gpt-4o-mini:chat', 'anthropic:*:chat']);
      expect(refused.status).to.equal(400);
      expect(refused.body).to.include(
        'You have no Anthropic key stored, so you cannot allow Anthropic access yet.',
      );
      expect(refused.body).to.include('untick the Anthropic permissions');
      expect(refused.body.match(/role="alert"/g)).to.have.length(1);
      expect(refused.body.match(/class="alert /g)).to.have.length(1);
      expect(await grantsOf(as, app.clientId)).to.have.length(0);

      const allowed = await decide(ua, refused, ['openai:gpt-4o-mini:chat']);
      expect(allowed.status).to.equal(303);
      const back = await ua.follow(allowed.location as string, app.redirectUri);
      expect(new URL(back.location as string).searchParams.get('code')).to.be.a('string');
      const grants = await grantsOf(as, app.clientId);
      expect(grants.map((g) => g.scopes)).to.deep.equal(['openai:gpt-4o-mini:chat']);
    });

    it('an operator key counts as a key: no warning and Allow goes through for that provider', async () => {
      const { ua, page, app } = await reachConsent(withOperator, 'alice', 'anthropic:*:chat');
      expect(page.body).to.not.include('alert-warning');
      const allowed = await decide(ua, page, ['anthropic:*:chat']);
      expect(allowed.status).to.equal(303);
      expect((await grantsOf(withOperator, app.clientId)).map((g) => g.scopes)).to.deep.equal([
        'anthropic:*:chat',
      ]);

      const mixed = await reachConsent(withOperator, 'bob');
      expect(mixed.page.body).to.include('<strong>No key stored for OpenAI.</strong>');
      const refused = await decide(mixed.ua, mixed.page, ['openai:gpt-4o-mini:chat', 'anthropic:*:chat']);
      expect(refused.status).to.equal(400);
      expect(refused.body).to.include('You have no OpenAI key stored');
      expect(await grantsOf(withOperator, mixed.app.clientId)).to.have.length(0);
    });
  });
}
