import { expect } from 'chai';
import { createProviderKeyDecrypter } from '../../../src/shared/provider-key-crypto.ts';
import { dumpDatabase } from '../../support/database-dump.ts';
import { engines } from '../../support/databases.ts';
import { expectStrictCsp, signInToAccount } from '../../support/security-checks.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import {
  createUserAgent,
  csrfOf,
  formAction,
  type Hop,
  linkTo,
  seeOther,
  type UserAgent,
} from '../../support/user-agent.ts';

const PASSWORD = 'correct horse battery';
const OPENAI_KEY = 'sk-proj-AccountPageTest_0123456789abcdefXYZ9';
const OPENAI_KEY_2 = 'sk-proj-AccountPageTest_second_key_000Q7w';
const ANTHROPIC_KEY = 'sk-ant-api03-AccountPageTest-0123456789-AbCd';

/*
 * /account/keys over HTTP: a person adds, replaces and deletes their provider keys with
 * this browser's CSRF token; the pages show only the last four characters; the key
 * itself appears in no response, no log line and not in the database, where only a JWE
 * the proxy's private key opens is stored.
 */
for (const engine of engines) {
  describe(`provider keys on the account pages (${engine})`, () => {
    let as: RunningAs;
    let alice: string;
    const hops: Hop[] = [];
    const logged: string[] = [];
    const originals = { log: console.log, error: console.error, warn: console.warn };

    before(async () => {
      as = await startAuthorizationServer(engine);
      alice = await as.addUser('alice', PASSWORD);
      await as.addUser('bob', PASSWORD);
      for (const level of ['log', 'error', 'warn'] as const) {
        console[level] = (...args: unknown[]) => {
          logged.push(args.map(String).join(' '));
          originals[level](...args);
        };
      }
    });
    after(async () => {
      Object.assign(console, originals);
      await as.close();
    });

    /** Every answer the tests saw, to check no key ever comes back. */
    function record(ua: UserAgent): UserAgent {
      return {
        ...ua,
        async request(url, init) {
          const hop = await ua.request(url, init);
          hops.push(hop);
          return hop;
        },
      };
    }

    async function signedIn(username = 'alice') {
      const ua = record(createUserAgent());
      expect((await signInToAccount(ua, as, username, PASSWORD)).status).to.equal(303);
      return ua;
    }

    async function post(ua: UserAgent, path: string, form: Record<string, string>) {
      // Deleting goes through its confirmation page, whose form posts to the same path.
      const page = await ua.request(`${as.issuer}${path.endsWith('/delete') ? path : '/account/keys'}`);
      const posted = await ua.request(formAction(page.body, page.url, path), {
        form: { csrf: csrfOf(page.body), ...form },
      });
      // A success answers 303 to the keys page (post/redirect/get); a refusal is the page itself.
      return posted.status === 303 ? seeOther(ua, posted) : posted;
    }

    const row = (provider: string) =>
      as.database.db('provider_keys').where({ account_id: alice, provider }).first();

    async function decrypted(provider: string) {
      const stored = await row(provider);
      const decrypter = await createProviderKeyDecrypter(as.providerKeyPrivateJwks as never);
      return decrypter.decrypt(stored.ciphertext, { accountId: alice, provider });
    }

    it('lists every provider with no key, under the strict CSP, linked from the account navigation', async () => {
      const ua = await signedIn();
      const apps = await ua.request(`${as.issuer}/account`);
      expect(apps.body).to.include('<a href="/account/keys">Provider keys</a>');
      const page = await ua.request(`${as.issuer}/account/keys`);
      expect(page.status).to.equal(200);
      expectStrictCsp(page.headers);
      expect(page.headers.get('cache-control')).to.equal('no-store');
      expect(page.body).to.include('<h2 id="key-openai-title">OpenAI</h2>');
      expect(page.body).to.include('<h2 id="key-anthropic-title">Anthropic</h2>');
      expect(page.body).to.include('<h2 id="key-google-title">Google Gemini</h2>');
      expect(page.body.match(/No key stored\./g)).to.have.length(3);
      expect(page.body).to.include('type="password" autocomplete="off"');
    });

    it('stores a Google Gemini key (AIza…) like the others, and refuses a key of another provider', async () => {
      const ua = await signedIn();
      const wrong = await post(ua, '/account/keys/google', { key: 'sk-proj-abcdefghijklmnopqrstuvwxyz0123' });
      expect(wrong.body).to.include('Google Gemini API keys start with AIza');
      expect(await row('google')).to.equal(undefined);
      const saved = await post(ua, '/account/keys/google', { key: 'AIzaSyAbcdefghijklmnopqrstuvwxyz0-1_Q8' });
      expect(saved.status).to.equal(200);
      expect(saved.body).to.include('Your Google Gemini key ending in …1_Q8 was saved.');
      expect((await row('google')).last4).to.equal('1_Q8');
    });

    it('adds a key with CSRF: stored as a JWE to the proxy key, shown only as its last four characters', async () => {
      const ua = await signedIn();
      const forged = await ua.request(`${as.issuer}/account/keys/openai`, { form: { key: OPENAI_KEY } });
      expect(forged.status).to.equal(403);
      const wrong = await ua.request(`${as.issuer}/account/keys/openai`, {
        form: { csrf: 'not-the-token', key: OPENAI_KEY },
      });
      expect(wrong.status).to.equal(403);
      expect(await row('openai')).to.equal(undefined);

      const keysPage = await ua.request(`${as.issuer}/account/keys`);
      const posted = await ua.request(formAction(keysPage.body, keysPage.url, '/account/keys/openai'), {
        form: { csrf: csrfOf(keysPage.body), key: `  ${OPENAI_KEY}\n` },
      });
      // Post/redirect/get: a reload of what the browser shows never posts the key again.
      expect(posted.status).to.equal(303);
      expect(posted.location).to.equal(`${as.issuer}/account/keys?saved=openai`);
      expect(posted.body).to.not.include(OPENAI_KEY);
      const saved = await seeOther(ua, posted);
      expect(saved.status).to.equal(200);
      expect(saved.body).to.include('Your OpenAI key ending in …XYZ9 was saved.');
      expect(saved.body).to.include('<code class="key-last4">…XYZ9</code>');
      const stored = await row('openai');
      expect(stored.last4).to.equal('XYZ9');
      expect(stored.kid).to.equal(as.providerKeyPublicJwks?.keys[0]?.kid);
      expect(stored.ciphertext.split('.')).to.have.length(5);
      expect(await decrypted('openai')).to.equal(OPENAI_KEY);

      const again = await ua.request(`${as.issuer}/account/keys`);
      expect(again.body).to.include('Stored key ending in <code class="key-last4">…XYZ9</code>');
      expect(again.body).to.not.include('was saved.');
      // The notice is said from what is stored: a crafted link cannot claim a key that is not there.
      const spoof = await ua.request(`${as.issuer}/account/keys?saved=anthropic&deleted=openai`);
      expect(spoof.body).to.not.include('Your Anthropic key').and.not.include('Your OpenAI key was deleted');
      expect(again.body).to.include('Replace with a new OpenAI API key');
    });

    it('replaces a key, refuses a malformed one without echoing it, and keeps the stored one', async () => {
      const ua = await signedIn();
      const replaced = await post(ua, '/account/keys/openai', { key: OPENAI_KEY_2 });
      expect(replaced.status).to.equal(200);
      expect(replaced.body).to.include('Your OpenAI key ending in …0Q7w was replaced.');
      expect(await decrypted('openai')).to.equal(OPENAI_KEY_2);
      expect((await row('openai')).last4).to.equal('0Q7w');

      const misplaced = await post(ua, '/account/keys/openai', { key: ANTHROPIC_KEY });
      expect(misplaced.status).to.equal(400);
      expect(misplaced.body).to.include('That looks like an Anthropic key.');
      // At the top, a summary that takes focus and links to the field.
      expect(misplaced.body).to.include('<a href="#key-openai">That looks like an Anthropic key.');
      expect(misplaced.body.indexOf('class="error-summary"')).to.be.below(
        misplaced.body.indexOf('<ul class="app-list">'),
      );
      expect(misplaced.body).to.include('role="alert"');
      expect(misplaced.body).to.not.include(ANTHROPIC_KEY);
      const junk = 'sk-<script>alert(1)</script>-0000000000';
      const bad = await post(ua, '/account/keys/openai', { key: junk });
      expect(bad.status).to.equal(400);
      expect(bad.body).to.not.include(junk).and.not.include('alert(1)');
      expect(await decrypted('openai')).to.equal(OPENAI_KEY_2);

      expect((await post(ua, '/account/keys/anthropic', { key: ANTHROPIC_KEY })).status).to.equal(200);
      expect(await decrypted('anthropic')).to.equal(ANTHROPIC_KEY);
      const unknown = await ua.request(`${as.issuer}/account/keys/mistral`, {
        form: { csrf: csrfOf((await ua.request(`${as.issuer}/account/keys`)).body), key: OPENAI_KEY },
      });
      expect(unknown.status).to.equal(404);
    });

    it('deletes a key with CSRF; another person only ever reaches their own keys', async () => {
      const ua = await signedIn();
      const forged = await ua.request(`${as.issuer}/account/keys/anthropic/delete`, {
        method: 'POST',
        form: {},
      });
      expect(forged.status).to.equal(403);
      expect(await row('anthropic')).to.not.equal(undefined);

      const bob = await signedIn('bob');
      const bobs = await post(bob, '/account/keys/openai', { key: OPENAI_KEY });
      expect(bobs.status).to.equal(200);
      const bobPage = await bob.request(`${as.issuer}/account/keys`);
      expect(bobPage.body).to.not.include('…AbCd');
      const nothing = await bob.request(`${as.issuer}/account/keys/anthropic/delete`, {
        form: { csrf: csrfOf(bobPage.body) },
      });
      expect(nothing.status).to.equal(404);
      expect(nothing.body).to.include('There was no Anthropic key to delete.');
      expect(await row('anthropic')).to.not.equal(undefined);

      const keys = await ua.request(`${as.issuer}/account/keys`);
      const confirm = await ua.request(linkTo(keys.body, keys.url, '/account/keys/anthropic/delete'));
      expect(confirm.body).to.include('<h1>Delete your Anthropic key?</h1>');
      expect(confirm.body).to.include('ending in …');
      expect(await row('anthropic')).to.not.equal(undefined);
      const deleted = await post(ua, '/account/keys/anthropic/delete', {});
      expect(deleted.status).to.equal(200);
      expect(deleted.body).to.include('Your Anthropic key was deleted.');
      expect(await row('anthropic')).to.equal(undefined);
      expect((await row('openai')).last4).to.equal('0Q7w');
    });

    it('signed out: GET goes to sign-in, POST is refused and stores nothing', async () => {
      const ua = record(createUserAgent());
      const page = await ua.request(`${as.issuer}/account/keys`);
      expect(page.status).to.equal(302);
      expect(page.location).to.equal(`${as.issuer}/account/login`);
      const login = await ua.request(`${as.issuer}/account/login`);
      const refused = await ua.request(`${as.issuer}/account/keys/openai`, {
        form: { csrf: csrfOf(login.body), key: OPENAI_KEY },
      });
      expect(refused.status).to.equal(401);
    });

    it('the plaintext keys appear in no response, no log line and nowhere in the database', async () => {
      expect(hops.length).to.be.greaterThan(20);
      const keys = [OPENAI_KEY, OPENAI_KEY_2, ANTHROPIC_KEY];
      for (const hop of hops) {
        const headers = JSON.stringify([...hop.headers]);
        for (const key of keys) {
          expect(hop.body, hop.url).to.not.include(key);
          expect(headers).to.not.include(key);
        }
      }
      for (const line of logged) for (const key of keys) expect(line).to.not.include(key);
      const dump = await dumpDatabase(as.database);
      expect(dump).to.include('provider_keys').and.include('XYZ9');
      for (const key of keys) {
        expect(dump).to.not.include(key);
        expect(dump).to.not.include(Buffer.from(key).toString('base64url'));
      }
    });
  });

  describe(`provider keys without a proxy public key (${engine})`, () => {
    let as: RunningAs;

    before(async () => {
      as = await startAuthorizationServer(engine, {}, undefined, { providerKeys: 'none' });
      await as.addUser('alice', PASSWORD);
    });
    after(() => as.close());

    it('the page says keys cannot be stored yet, and a POST stores nothing (503)', async () => {
      const ua = createUserAgent();
      await signInToAccount(ua, as, 'alice', PASSWORD);
      const page = await ua.request(`${as.issuer}/account/keys`);
      expect(page.status).to.equal(200);
      expect(page.body).to.include('cannot store new keys yet');
      expect(page.body).to.not.include('name="key"');
      const refused = await ua.request(`${as.issuer}/account/keys/openai`, {
        form: { csrf: csrfOf(page.body), key: OPENAI_KEY },
      });
      expect(refused.status).to.equal(503);
      expect(refused.body).to.not.include(OPENAI_KEY);
      expect(await as.database.db('provider_keys')).to.have.length(0);
    });
  });
}
