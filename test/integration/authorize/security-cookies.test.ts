import { expect } from 'chai';
import * as oidc from 'openid-client';
import { engines } from '../../support/databases.ts';
import { consent, signInAndReachConsent } from '../../support/oauth-flow.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import { createUserAgent, csrfOf, formAction, type UserAgent } from '../../support/user-agent.ts';

const SCOPE = 'openai:gpt-4o-mini:chat';
const PASSWORD = 'correct horse battery';

/** name → attributes (lowercased) of every Set-Cookie line a browser received. */
function cookiesSet(ua: UserAgent): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of ua.setCookies) {
    const [pair, ...attrs] = line.split(';');
    const name = (pair as string).slice(0, (pair as string).indexOf('=')).trim();
    out.set(
      name,
      attrs.map((a) => a.trim().toLowerCase()),
    );
  }
  return out;
}

/** Signs in, consents, redeems the code and opens the account page in one browser. */
async function wholeFlow(as: RunningAs, ua: UserAgent) {
  const app = await as.addClient({ name: 'Cookie App', redirectUris: ['http://127.0.0.1:9/cookies'] });
  const verifier = oidc.randomPKCECodeVerifier();
  const url = new URL(`${as.issuer}/auth`);
  for (const [k, v] of Object.entries({
    client_id: app.clientId,
    response_type: 'code',
    redirect_uri: app.redirectUri,
    scope: SCOPE,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    resource: as.proxyUrl,
  }))
    url.searchParams.set(k, v);
  const opts = { redirectUri: app.redirectUri, scope: SCOPE };
  const page = await signInAndReachConsent(ua, url.toString(), opts);
  const done = await consent(ua, page, opts);
  const code = new URL(done.location as string).searchParams.get('code') as string;
  const token = await fetch(`${as.issuer.replace(/^https:/, 'http:')}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: app.redirectUri,
      client_id: app.clientId,
      code_verifier: verifier,
    }),
  });
  expect(token.status).to.equal(200);
  // The account pages read the same (renamed) session cookie: no second sign-in.
  const account = await ua.request(`${as.issuer}/account`);
  expect(account.status).to.equal(200);
  expect(account.body).to.include('Cookie App');
  // And a form posts with the renamed CSRF cookie.
  const out = await ua.request(formAction(account.body, account.url, '/account/logout'), {
    form: { csrf: csrfOf(account.body) },
  });
  expect(out.status).to.equal(200);
}

for (const engine of engines) {
  describe(`cookie names (${engine})`, () => {
    it('on an https issuer: __Host- names (Secure, Path=/, no Domain) and __Secure- for path-scoped ones', async () => {
      const as = await startAuthorizationServer(engine, {}, undefined, { https: true });
      try {
        expect(as.issuer).to.match(/^https:/);
        await as.addUser('alice', PASSWORD);
        const ua = createUserAgent({ behindTlsProxy: true });
        await wholeFlow(as, ua);
        const set = cookiesSet(ua);
        const names = [...set.keys()];
        for (const name of [
          '__Host-mandate.csrf',
          '__Host-mandate.session',
          '__Host-mandate.session.sig',
          '__Secure-mandate.interaction',
          '__Secure-mandate.interaction.sig',
          '__Secure-mandate.resume',
          '__Secure-mandate.resume.sig',
        ]) {
          expect(names, name).to.include(name);
        }
        for (const [name, attrs] of set) {
          expect(name, 'every cookie is prefixed').to.match(/^__(Host|Secure)-/);
          expect(attrs, name).to.include('secure');
          expect(
            attrs.some((a) => a.startsWith('domain=')),
            `${name} has no Domain`,
          ).to.equal(false);
          if (name.startsWith('__Host-')) expect(attrs, name).to.include('path=/');
        }
      } finally {
        await as.close();
      }
    });

    it('on an http issuer (localhost): the plain names, without Secure', async () => {
      const as = await startAuthorizationServer(engine);
      try {
        await as.addUser('alice', PASSWORD);
        const ua = createUserAgent();
        await wholeFlow(as, ua);
        const set = cookiesSet(ua);
        for (const name of ['mandate.csrf', '_session', '_interaction', '_interaction_resume'])
          expect([...set.keys()], name).to.include(name);
        for (const [name, attrs] of set) {
          expect(name).to.not.match(/^__/);
          expect(attrs, name).to.not.include('secure');
        }
      } finally {
        await as.close();
      }
    });
  });
}
