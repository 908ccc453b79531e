import { expect } from 'chai';
import { engines } from '../../support/databases.ts';
import { authorize, discover, signInAndReachConsent, startAuthorization } from '../../support/oauth-flow.ts';
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

const SCOPE = 'openai:gpt-4o-mini:chat';
const PASSWORD = 'correct horse battery';
const CSRF_COOKIE = 'mandate.csrf';

/*
 * A CSRF token is bound to the browser session it was minted in. A site that can plant
 * cookies in the victim's browser (a sibling subdomain) can get a matching cookie and
 * token pair from its own session; planted into another session, that pair is refused.
 */
for (const engine of engines) {
  describe(`CSRF tokens are bound to the session (${engine})`, () => {
    let as: RunningAs;
    let app: { clientId: string; redirectUri: string };

    before(async () => {
      as = await startAuthorizationServer(engine);
      await as.addUser('alice', PASSWORD);
      await as.addUser('bob', PASSWORD);
      app = await as.addClient({ name: 'Bound App', redirectUris: ['http://127.0.0.1:9/bound'] });
    });
    after(() => as.close());

    /** Browser B's cookies, with the CSRF cookie browser A holds planted over B's own. */
    function planted(a: UserAgent, b: UserAgent): UserAgent {
      const ua = createUserAgent();
      for (const [name, value] of b.jar) ua.jar.set(name, value);
      ua.jar.set(CSRF_COOKIE, a.jar.get(CSRF_COOKIE) as string);
      return ua;
    }

    async function loginPage(): Promise<{ ua: UserAgent; page: Hop }> {
      const ua = createUserAgent();
      const config = await discover(as, app.clientId);
      const { url } = await startAuthorization(config, as, { redirectUri: app.redirectUri, scope: SCOPE });
      const page = await ua.follow(url.toString(), app.redirectUri);
      expect(page.body).to.include('name="password"');
      return { ua, page };
    }

    async function consentPage(username: string): Promise<{ ua: UserAgent; page: Hop }> {
      const ua = createUserAgent();
      const config = await discover(as, app.clientId);
      const opts = { redirectUri: app.redirectUri, scope: SCOPE, username };
      const { url } = await startAuthorization(config, as, opts);
      const page = await signInAndReachConsent(ua, url.toString(), opts);
      expect(page.body).to.include('name="decision"');
      return { ua, page };
    }

    const consentForm = (page: Hop, csrf: string) => ({
      csrf,
      scope: SCOPE,
      duration: /<option value="(\d+)" selected/.exec(page.body)?.[1] as string,
      decision: 'allow',
    });

    it("the consent form refuses session A's cookie and token posted with session B's cookies", async () => {
      const a = await consentPage('alice');
      const b = await consentPage('bob');
      const grants = () => as.database.db('grants').where({ client_id: app.clientId });
      const before = (await grants()).length;
      const action = formAction(b.page.body, b.page.url, '/consent');

      const res = await planted(a.ua, b.ua).request(action, {
        form: consentForm(b.page, csrfOf(a.page.body)),
      });
      expect(res.status).to.equal(403);
      expect(res.location).to.equal(undefined);
      expect(res.body).to.include('Your form expired');
      expect(await grants()).to.have.length(before);

      // In its own session the same pair still works: the refusal was the binding's.
      const own = await a.ua.request(formAction(a.page.body, a.page.url, '/consent'), {
        form: consentForm(a.page, csrfOf(a.page.body)),
      });
      expect(own.status).to.equal(303);
      expect(await grants()).to.have.length(before + 1);
    });

    it("the sign-in form refuses interaction A's cookie and token posted into interaction B", async () => {
      const a = await loginPage();
      const b = await loginPage();
      const form = (page: Hop) => ({ csrf: csrfOf(page.body), username: 'alice', password: PASSWORD });
      const action = formAction(b.page.body, b.page.url, '/login');

      const res = await planted(a.ua, b.ua).request(action, { form: form(a.page) });
      expect(res.status).to.equal(403);
      expect(res.location).to.equal(undefined);
      expect(res.body).to.include('Your form expired');

      const own = await b.ua.request(action, { form: form(b.page) });
      expect(own.status).to.equal(303);
    });

    it("the account forms (key save, lower limits, revoke) refuse session A's pair in session B", async () => {
      const alice = createUserAgent();
      expect((await signInToAccount(alice, as, 'alice', PASSWORD)).status).to.equal(303);
      const alicePage = await alice.request(`${as.issuer}/account`);
      const stolen = csrfOf(alicePage.body);

      // Bob approved the app in his browser: that session is signed in on the account pages too.
      const bob = createUserAgent();
      const config = await discover(as, app.clientId);
      await authorize(config, as, bob, { redirectUri: app.redirectUri, scope: SCOPE, username: 'bob' });
      const bobId = (await as.stores.accounts.findByUsername('bob'))?.id as string;
      const [grant] = await as.stores.grants.listLiveForAccount(bobId);
      const grantId = grant?.id as string;
      const appPath = `/account/apps/${encodeURIComponent(grantId)}`;
      const keysPage = await bob.request(`${as.issuer}/account/keys`);
      const appPage = await bob.request(`${as.issuer}${appPath}`);
      const list = await bob.request(`${as.issuer}/account`);
      const listPage = await bob.request(linkTo(list.body, list.url, '/revoke'));

      const forms: Array<[string, string, Record<string, string>]> = [
        [
          'key save',
          formAction(keysPage.body, keysPage.url, '/account/keys/openai'),
          { key: 'sk-proj-planted-0123456789abcdef' },
        ],
        ['lower limits', formAction(appPage.body, appPage.url, `${appPath}/limits`), { max_requests: '5' }],
        ['revoke', formAction(listPage.body, listPage.url, '/revoke'), {}],
      ];
      for (const [name, action, fields] of forms) {
        const res = await planted(alice, bob).request(action, { form: { csrf: stolen, ...fields } });
        expect(res.status, name).to.equal(403);
        expect(res.body, name).to.include('Form expired');
      }
      expect(await as.stores.providerKeys.listForAccount(bobId)).to.have.length(0);
      const after = await as.stores.grants.find(grantId);
      expect(after?.revokedAt).to.equal(null);
      expect(after?.limits.maxRequests).to.equal(grant?.limits.maxRequests);

      // Bob's own token goes through, so the refusals were the binding's.
      const revoked = await bob.request(formAction(listPage.body, listPage.url, '/revoke'), {
        form: { csrf: csrfOf(listPage.body) },
      });
      expect(revoked.status).to.equal(303);
      expect((await as.stores.grants.find(grantId))?.revokedAt).to.be.a('number');
    });

    it('a token minted before sign-in is not valid after it (the session changed)', async () => {
      const ua = createUserAgent();
      const login = await ua.request(`${as.issuer}/account/login`);
      const before = csrfOf(login.body);
      await ua.request(formAction(login.body, login.url, '/account/login'), {
        form: { csrf: before, username: 'alice', password: PASSWORD },
      });
      const page = await ua.request(`${as.issuer}/account`);
      expect(csrfOf(page.body)).to.not.equal(before);
      const res = await ua.request(formAction(page.body, page.url, '/account/logout'), {
        form: { csrf: before },
      });
      expect(res.status).to.equal(403);
    });
  });
}
