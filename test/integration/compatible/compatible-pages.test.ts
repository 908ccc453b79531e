import { expect } from 'chai';
import { createProviderRegistry, useProviderRegistry } from '../../../src/scopes/index.ts';
import { engines } from '../../support/databases.ts';
import { discover, signInAndReachConsent, startAuthorization } from '../../support/oauth-flow.ts';
import { signInToAccount } from '../../support/security-checks.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import { createUserAgent, csrfOf, formAction, seeOther } from '../../support/user-agent.ts';

const PASSWORD = 'correct horse battery';
const GROQ_KEY = 'gsk_PagesTest_0123456789abcdefghij_Gq77';
const ACME_KEY = 'acmekey-PagesTest-0123456789abcdef-Ac55';
const ACME = {
  id: 'acme',
  name: 'Acme AI',
  baseUrl: 'https://api.acme.example/v1',
  keyHeader: 'x-api-key',
  endpoints: ['chat/completions', 'embeddings'],
};

/*
 * The authorization server's pages with OpenAI-compatible providers configured (the Groq
 * preset, an operator's own): the keys page lists and stores their keys (Groq's prefix
 * checked), the consent page names them with their display names and says which have no
 * key, and their scopes are valid for apps.
 */
for (const engine of engines) {
  describe(`OpenAI-compatible providers on the pages (${engine})`, () => {
    let as: RunningAs;
    let withOperatorKey: RunningAs;

    before(async () => {
      as = await startAuthorizationServer(engine, {
        providers: { presets: ['groq'], compatible: [ACME] },
        proxy: { operatorKeys: {} },
      });
      await as.addUser('alice', PASSWORD);
      withOperatorKey = await startAuthorizationServer(engine, {
        providers: { presets: ['groq'], compatible: [ACME] },
        proxy: { operatorKeys: { groq: 'gsk_operator_pages_test_00000000' } },
      });
      await withOperatorKey.addUser('alice', PASSWORD);
    });
    after(async () => {
      await as.close();
      await withOperatorKey?.close();
      useProviderRegistry(createProviderRegistry());
    });

    async function keysPage() {
      const ua = createUserAgent();
      expect((await signInToAccount(ua, as, 'alice', PASSWORD)).status).to.equal(303);
      return { ua, page: await ua.request(`${as.issuer}/account/keys`) };
    }

    it('the keys page lists them after the built-ins and stores their keys, checking Groq’s prefix', async () => {
      const { ua, page } = await keysPage();
      expect(page.status).to.equal(200);
      expect(page.body).to.include('<h2 id="key-groq-title">Groq</h2>');
      expect(page.body).to.include('<h2 id="key-acme-title">Acme AI</h2>');
      expect(page.body.indexOf('key-google-title')).to.be.below(page.body.indexOf('key-groq-title'));
      const post = async (provider: string, key: string) => {
        const current = await ua.request(`${as.issuer}/account/keys`);
        const posted = await ua.request(formAction(current.body, current.url, `/account/keys/${provider}`), {
          form: { csrf: csrfOf(current.body), key },
        });
        return posted.status === 303 ? seeOther(ua, posted) : posted;
      };
      const wrong = await post('groq', 'sk-proj-abcdefghijklmnopqrstuvwxyz0123');
      expect(wrong.body).to.include('Groq API keys start with gsk_');
      const saved = await post('groq', GROQ_KEY);
      expect(saved.body).to.include('Your Groq key ending in …Gq77 was saved.');
      expect(saved.body).to.not.include(GROQ_KEY);
      // No fixed prefix for the operator's own provider.
      expect((await post('acme', ACME_KEY)).body).to.include('Your Acme AI key ending in …Ac55 was saved.');
      const rows = await as.database.db('provider_keys').select('provider', 'last4').orderBy('provider');
      expect(rows).to.deep.equal([
        { provider: 'acme', last4: 'Ac55' },
        { provider: 'groq', last4: 'Gq77' },
      ]);
      await as.database.db('provider_keys').where({ provider: 'acme' }).delete();
    });

    it('the consent page words their scopes with their names and flags the one without a key', async () => {
      const app = await as.addClient({
        name: 'Compat App',
        allowedScopes: ['groq:*:chat', 'acme:acme-embed:embeddings'],
      });
      const config = await discover(as, app.clientId);
      const opts = {
        redirectUri: app.redirectUri,
        scope: 'groq:*:chat acme:acme-embed:embeddings',
        username: 'alice',
        password: PASSWORD,
      };
      const { url } = await startAuthorization(config, as, opts);
      const page = await signInAndReachConsent(createUserAgent(), url.toString(), opts);
      expect(page.status).to.equal(200);
      expect(page.body).to.include('Chat with any Groq model');
      expect(page.body).to.include('Create embeddings with acme-embed');
      expect(page.body).to.include('<strong>No key stored for Acme AI.</strong>');
    });

    it('an operator key for a configured provider counts as a key at consent', async () => {
      expect(withOperatorKey.operatorKeyProviders).to.deep.equal(['groq']);
      const app = await withOperatorKey.addClient({
        name: 'Compat App',
        allowedScopes: ['groq:*:chat', 'acme:*:chat'],
      });
      const config = await discover(withOperatorKey, app.clientId);
      const opts = {
        redirectUri: app.redirectUri,
        scope: 'groq:*:chat acme:*:chat',
        username: 'alice',
        password: PASSWORD,
      };
      const { url } = await startAuthorization(config, withOperatorKey, opts);
      const page = await signInAndReachConsent(createUserAgent(), url.toString(), opts);
      expect(page.status).to.equal(200);
      // Alice stored no key here: only the provider without an operator key is flagged.
      expect(page.body).to.include('<strong>No key stored for Acme AI.</strong>');
    });

    it('refuses an app asking for a capability the provider does not offer', async () => {
      const app = await as.addClient({ name: 'Greedy App', allowedScopes: ['groq:*:chat'] });
      const config = await discover(as, app.clientId);
      const { url } = await startAuthorization(config, as, {
        redirectUri: app.redirectUri,
        scope: 'groq:*:embeddings',
      });
      const hop = await createUserAgent().request(url.toString());
      const location = new URL(hop.location ?? '', as.issuer);
      expect(location.searchParams.get('error')).to.equal('invalid_scope');
      expect(location.searchParams.get('error_description')).to.include(
        "capability 'embeddings' is not offered for groq",
      );
    });
  });
}
