import { expect } from 'chai';
import { engines } from '../../support/databases.ts';
import { discover, startAuthorization } from '../../support/oauth-flow.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import { createUserAgent, csrfOf, formAction, type Hop } from '../../support/user-agent.ts';

const PASSWORD = 'correct horse battery';
const WINDOW_SECONDS = 15 * 60;

/** Failed sign-ins are counted in the database: each server here is fresh, so counts start at zero. */
for (const engine of engines) {
  describe(`sign-in throttling (${engine})`, () => {
    describe('on the hosted sign-in page', () => {
      let as: RunningAs;
      before(async () => {
        as = await startAuthorizationServer(engine);
        await as.addUser('alice', PASSWORD);
      });
      after(() => as.close());

      it('11. after 5 wrong passwords the 6th attempt, even with the right password, gets 429 + Retry-After', async () => {
        const app = await as.addClient({ name: 'Writer' });
        const config = await discover(as, app.clientId);
        const ua = createUserAgent();
        const { url } = await startAuthorization(config, as, {
          redirectUri: app.redirectUri,
          scope: 'openai:gpt-4o-mini:chat',
        });
        const login = await ua.follow(url.toString(), app.redirectUri);
        expect(login.body).to.include('name="password"');
        const signIn = (password: string) =>
          ua.request(formAction(login.body, login.url, '/login'), {
            form: { csrf: csrfOf(login.body), username: 'alice', password },
          });

        for (let i = 1; i <= 5; i++) {
          const res = await signIn(`wrong password ${i}`);
          expect(res.status, `attempt ${i}`).to.equal(401);
          expect(res.headers.get('retry-after'), `attempt ${i}`).to.equal(null);
        }
        const sixth = await signIn(PASSWORD);
        expectThrottled(sixth);

        // Mandate's own sign-in page shares the count: it is no way around the limit.
        const other = createUserAgent();
        const page = await other.request(`${as.issuer}/account/login`);
        const res = await other.request(formAction(page.body, page.url, '/account/login'), {
          form: { csrf: csrfOf(page.body), username: 'alice', password: PASSWORD },
        });
        expectThrottled(res);
      });
    });

    describe('under concurrent guessing', () => {
      let as: RunningAs;
      before(async () => {
        as = await startAuthorizationServer(engine);
        await as.addUser('alice', PASSWORD);
      });
      after(() => as.close());

      it('11c. a burst of simultaneous wrong passwords gets no more than 5 of them checked', async () => {
        const app = await as.addClient({ name: 'Writer' });
        const config = await discover(as, app.clientId);
        const ua = createUserAgent();
        const { url } = await startAuthorization(config, as, {
          redirectUri: app.redirectUri,
          scope: 'openai:gpt-4o-mini:chat',
        });
        const login = await ua.follow(url.toString(), app.redirectUri);
        const action = formAction(login.body, login.url, '/login');
        const csrf = csrfOf(login.body);
        const burst = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            ua.request(action, { form: { csrf, username: 'alice', password: `wrong password ${i}` } }),
          ),
        );
        const statuses = burst.map((res) => res.status);
        const checked = statuses.filter((status) => status === 401).length;
        expect(statuses.filter((status) => status !== 401 && status !== 429)).to.deep.equal([]);
        expect(checked, `passwords checked out of 20 simultaneous guesses: ${checked}`).to.be.at.most(5);
        // Two guesses can each be refused by the other's claim (one over on the account,
        // the other on the address), so a burst may check fewer than 5; the limit is on
        // checks, so guessing on one at a time tops it up to exactly 5, never more.
        let total = checked;
        for (let i = 0; i < 5; i++) {
          const res = await ua.request(action, {
            form: { csrf, username: 'alice', password: `late guess ${i}` },
          });
          if (res.status === 429) break;
          expect(res.status).to.equal(401);
          total++;
        }
        expect(total).to.equal(5);
        expectThrottled(await ua.request(action, { form: { csrf, username: 'alice', password: PASSWORD } }));
      });
    });

    describe('per account name, from any address', () => {
      let as: RunningAs;
      before(async () => {
        as = await startAuthorizationServer(engine, { as: { trustProxy: true } });
        await as.addUser('alice', PASSWORD);
        await as.addUser('bob', PASSWORD);
      });
      after(() => as.close());

      /** A sign-in at /account/login from the client address `ip` (behind a trusted proxy). */
      async function signInFrom(ip: string, username: string, password: string): Promise<Response> {
        const headers = { 'x-forwarded-for': ip };
        const page = await fetch(`${as.issuer}/account/login`, { headers });
        const cookie = page.headers
          .getSetCookie()
          .map((c) => c.split(';')[0])
          .join('; ');
        return fetch(`${as.issuer}/account/login`, {
          method: 'POST',
          redirect: 'manual',
          headers: { ...headers, cookie, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf: csrfOf(await page.text()), username, password }),
        });
      }

      it('11b. spreading the guesses over many addresses does not get round the per-account limit', async () => {
        for (let i = 1; i <= 5; i++) {
          const res = await signInFrom(`203.0.113.${i}`, 'alice', `wrong password ${i}`);
          expect(res.status, `attempt ${i}`).to.equal(401);
        }
        const fresh = await signInFrom('198.51.100.7', 'alice', PASSWORD);
        expect(fresh.status).to.equal(429);
        expect(Number(fresh.headers.get('retry-after'))).to.be.within(1, WINDOW_SECONDS);
        // Another person, from another address, is not locked out by alice's attacker.
        const bob = await signInFrom('198.51.100.8', 'bob', PASSWORD);
        expect(bob.status).to.equal(303);
        expect(bob.headers.get('location')).to.match(/\/account$/);
      });
    });
  });
}

function expectThrottled(res: Hop): void {
  expect(res.status).to.equal(429);
  expect(res.location, 'not signed in').to.equal(undefined);
  const retryAfter = res.headers.get('retry-after');
  expect(retryAfter).to.match(/^\d+$/);
  expect(Number(retryAfter)).to.be.within(1, WINDOW_SECONDS);
  expect(res.body).to.include('Too many sign-in attempts');
}
