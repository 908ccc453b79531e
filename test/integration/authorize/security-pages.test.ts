import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { engines } from '../../support/databases.ts';
import {
  type AuthorizeOptions,
  consent,
  discover,
  signInAndReachConsent,
  startAuthorization,
} from '../../support/oauth-flow.ts';
import { expectStrictCsp } from '../../support/security-checks.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import { createUserAgent, csrfOf, formAction, type Hop, type UserAgent } from '../../support/user-agent.ts';

const SCOPE = 'openai:gpt-4o-mini:chat anthropic:*:chat';
const EVIL_NAME = '<script>alert(1)</script>';
const ESCAPED_NAME = '&lt;script&gt;alert(1)&lt;/script&gt;';

/*
 * The hosted sign-in and consent pages: forms need this browser's CSRF token, what a
 * client calls itself is text and never markup, the CSP forbids script and framing, and
 * Deny goes back to the app as access_denied.
 */
for (const engine of engines) {
  describe(`hosted pages security (${engine})`, () => {
    let as: RunningAs;

    before(async () => {
      as = await startAuthorizationServer(engine);
      await as.addUser('alice', 'correct horse battery');
    });
    after(() => as.close());

    async function newApp(name: string, path: string) {
      const app = await as.addClient({ name, redirectUris: [`http://127.0.0.1:9/${path}`] });
      return { ...app, config: await discover(as, app.clientId) };
    }

    /** Starts an authorization in a fresh browser and signs in; returns the consent page. */
    async function reachConsent(config: oidc.Configuration, redirectUri: string) {
      const ua = createUserAgent();
      const opts: AuthorizeOptions = { redirectUri, scope: SCOPE };
      const { url, state } = await startAuthorization(config, as, opts);
      const page = await signInAndReachConsent(ua, url.toString(), opts);
      expect(page.status).to.equal(200);
      expect(page.body).to.include('name="decision"');
      return { ua, page, opts, state };
    }

    const grantsOf = (clientId: string) => as.database.db('grants').where({ client_id: clientId });
    const storedGrantsOf = async (clientId: string) =>
      (await as.database.db('oidc_payloads').where({ model: 'Grant' }).select('payload')).filter(
        (row) => (JSON.parse(row.payload) as { clientId?: string }).clientId === clientId,
      );

    function consentForm(page: Hop, csrf?: string) {
      const scopes = [...page.body.matchAll(/name="scope" value="([^"]+)"/g)].map((m) => m[1] as string);
      const duration = /<option value="(\d+)" selected/.exec(page.body)?.[1] as string;
      return { ...(csrf === undefined ? {} : { csrf }), scope: scopes, duration, decision: 'allow' };
    }

    async function expectRefused(ua: UserAgent, page: Hop, csrf: string | undefined) {
      const res = await ua.request(formAction(page.body, page.url, '/consent'), {
        form: consentForm(page, csrf),
      });
      expect(res.status, `csrf=${csrf}`).to.equal(403);
      expect(res.location).to.equal(undefined);
      expect(res.body).to.include('Your form expired');
    }

    it('9. a consent POST without, or with a wrong, CSRF token gets 403, no redirect and no grant', async () => {
      const app = await newApp('CSRF target', 'csrf-callback');
      const { ua, page } = await reachConsent(app.config, app.redirectUri);
      const good = csrfOf(page.body);

      // A token minted for another browser is valid-looking but not this browser's.
      const other = createUserAgent();
      const otherToken = csrfOf((await other.request(`${as.issuer}/account/login`)).body);
      expect(otherToken).to.not.equal(good);

      const tampered = `${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`;
      for (const csrf of [undefined, '', 'x'.repeat(good.length), tampered, otherToken]) {
        await expectRefused(ua, page, csrf);
      }

      expect(await grantsOf(app.clientId)).to.have.length(0);
      expect(await storedGrantsOf(app.clientId)).to.have.length(0);

      // The same form with this browser's token goes through, so the refusals were the token's.
      const ok = await ua.request(formAction(page.body, page.url, '/consent'), {
        form: consentForm(page, good),
      });
      expect(ok.status).to.equal(303);
      expect(await grantsOf(app.clientId)).to.have.length(1);
    });

    it('9b. a sign-in POST without the CSRF token gets 403 and does not sign in', async () => {
      const app = await newApp('CSRF sign-in', 'csrf-login-callback');
      const ua = createUserAgent();
      const { url } = await startAuthorization(app.config, as, {
        redirectUri: app.redirectUri,
        scope: SCOPE,
      });
      const login = await ua.follow(url.toString(), app.redirectUri);
      expect(login.body).to.include('name="password"');
      const res = await ua.request(formAction(login.body, login.url, '/login'), {
        form: { username: 'alice', password: 'correct horse battery' },
      });
      expect(res.status).to.equal(403);
      expect(res.location).to.equal(undefined);
      const again = await ua.request(login.url);
      expect(again.body, 'still on the sign-in page').to.include('name="password"');
    });

    it('10. a client named <script>alert(1)</script> renders inert; the CSP is strict', async () => {
      const app = await newApp(EVIL_NAME, 'xss-callback');
      const ua = createUserAgent();
      const opts: AuthorizeOptions = { redirectUri: app.redirectUri, scope: SCOPE };
      const { url } = await startAuthorization(app.config, as, opts);

      const login = await ua.follow(url.toString(), app.redirectUri);
      expect(login.status).to.equal(200);
      expect(login.body).to.include('name="password"');
      const consentPage = await signInAndReachConsent(ua, url.toString(), opts);
      expect(consentPage.body).to.include('name="decision"');

      for (const [name, page] of [
        ['sign-in', login],
        ['consent', consentPage],
      ] as const) {
        expect(page.body, name).to.not.include(EVIL_NAME);
        expect(page.body, name).to.include(ESCAPED_NAME);
        expect(page.body, `${name}: no script element at all`).to.not.match(/<script/i);
        expect(page.body, `${name}: no inline handlers`).to.not.match(/\son[a-z]+=/i);
        expectStrictCsp(page.headers);
        expect(page.headers.get('x-frame-options')).to.equal('DENY');
        expect(page.headers.get('x-content-type-options')).to.equal('nosniff');
      }

      // The account page lists the app by the same name, just as inert.
      await consent(ua, consentPage, opts);
      const account = await ua.request(`${as.issuer}/account`);
      expect(account.status).to.equal(200);
      expect(account.body).to.not.include(EVIL_NAME);
      expect(account.body).to.include(ESCAPED_NAME);
      expectStrictCsp(account.headers);
    });

    it('13. Deny on the consent page sends access_denied (with iss and state) to the redirect URI', async () => {
      const app = await newApp('Denied', 'deny-callback');
      const { ua, page, opts, state } = await reachConsent(app.config, app.redirectUri);
      const back = await consent(ua, page, { ...opts, decision: 'deny' });
      expect(back.location).to.be.a('string');
      const location = new URL(back.location as string);
      expect(`${location.origin}${location.pathname}`).to.equal(app.redirectUri);
      expect(location.searchParams.get('error')).to.equal('access_denied');
      expect(location.searchParams.get('iss')).to.equal(as.issuer);
      expect(location.searchParams.get('state')).to.equal(state);
      expect(location.searchParams.has('code')).to.equal(false);
      expect(await grantsOf(app.clientId)).to.have.length(0);
      expect(await storedGrantsOf(app.clientId)).to.have.length(0);
    });
  });
}
