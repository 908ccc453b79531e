import { expect } from 'chai';
import { engines } from '../../support/databases.ts';
import { discover, signInAndReachConsent, startAuthorization } from '../../support/oauth-flow.ts';
import { captureProviderNotices } from '../../support/provider-notices.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import { createUserAgent, csrfOf, formAction } from '../../support/user-agent.ts';
import { textOf } from '../../unit/as/views/html-checks.ts';

const summaryOf = (body: string): string => textOf(body, /<section class="allow-summary"[^>]*>/);

for (const engine of engines) {
  describe(`consent page: the summary of what Allow grants (${engine})`, () => {
    let as: RunningAs;
    let notices: ReturnType<typeof captureProviderNotices>;

    before(async () => {
      notices = captureProviderNotices();
      as = await startAuthorizationServer(engine);
      await as.addUser('alice', 'correct horse battery');
    });
    after(async () => {
      notices.restore();
      await as.close();
    });

    async function consentPage(name: string, scope: string, details?: unknown) {
      const app = await as.addClient({ name });
      const config = await discover(as, app.clientId);
      const opts = {
        redirectUri: app.redirectUri,
        scope,
        ...(details === undefined ? {} : { extraParams: { authorization_details: JSON.stringify(details) } }),
      };
      const { url } = await startAuthorization(config, as, opts);
      const page = await signInAndReachConsent(createUserAgent(), url.toString(), opts);
      expect(page.status).to.equal(200);
      return page.body;
    }

    it('plain scopes: each provider with its permissions in the checkboxes words, the duration, no limits', async () => {
      const body = await consentPage(
        'Writer',
        'openai:gpt-4o-mini:chat anthropic:claude-3-5-haiku-latest:chat',
      );
      const summary = summaryOf(body);
      // The words of the checkbox for that scope, as the form below says them.
      const checkbox = (value: string) =>
        body.match(new RegExp(`value="${value}"[^>]*>\\s*<label[^>]*>([^<]*)`))?.[1];
      const openaiText = checkbox('openai:gpt-4o-mini:chat');
      const anthropicText = checkbox('anthropic:claude-3-5-haiku-latest:chat');
      expect(openaiText).to.be.a('string').and.not.equal('');
      expect(summary).to.include(`If you allow, Writer may`);
      expect(summary).to.include(`OpenAI: ${openaiText}. Limits: no limits.`);
      expect(summary).to.include(`Anthropic: ${anthropicText}. Limits: no limits.`);
      const selected = body.match(/<select id="duration"[\s\S]*?<option value="\d+" selected>([^<]*)</)?.[1];
      expect(selected).to.be.a('string');
      expect(summary).to.include(`For ${selected}, unless you revoke it sooner.`);
      // Before the form: it restates the form, it is not in it.
      expect(body.indexOf('id="allow-summary"')).to.be.lessThan(body.indexOf('<form'));
      expect(summary).to.not.include('<');
    });

    it('authorization_details: the limits as the form first shows them, money and counts formatted, "no limit" where none', async () => {
      const body = await consentPage('Writer', 'openai:gpt-4o-mini:chat', [
        {
          type: 'ai_access',
          provider: 'openai',
          models: ['gpt-4o-mini'],
          capabilities: ['chat'],
          limits: { max_requests: 1500, max_spend_usd: 12.5, period: 'month', requests_per_minute: 60 },
        },
      ]);
      expect(summaryOf(body)).to.include(
        'Limits: at most 1,500 requests, no limit on tokens, at most $12.50 spending, at most 60 requests per minute (each calendar month).',
      );
    });

    it('a wrong password: the sign-in page answers 401 with the error summary linking to the username', async () => {
      const app = await as.addClient({ name: 'Writer' });
      const config = await discover(as, app.clientId);
      const opts = { redirectUri: app.redirectUri, scope: 'openai:gpt-4o-mini:chat' };
      const { url } = await startAuthorization(config, as, opts);
      const ua = createUserAgent();
      const page = await ua.follow(url.toString(), app.redirectUri);
      const res = await ua.request(formAction(page.body, page.url, '/login'), {
        form: { csrf: csrfOf(page.body), username: 'alice', password: 'wrong' },
      });
      expect(res.status).to.equal(401);
      expect(res.body).to.match(
        /<div class="error-summary" id="error-summary"[^>]*tabindex="-1" autofocus>\s*<h2[^>]*>There is a problem<\/h2>\s*<ul><li><a href="#username">Wrong username or password.<\/a><\/li><\/ul>/,
      );
      expect(res.body).to.not.include('role="alert"');
      expect(res.body).to.include('<input id="username"');
    });

    it('escapes the app-chosen name', async () => {
      const body = await consentPage('<img src=x onerror=alert(1)>&co', 'openai:gpt-4o-mini:chat');
      const heading = body.match(/<h2 id="allow-summary-title">([\s\S]*?)<\/h2>/)?.[1];
      expect(heading).to.equal('If you allow, &lt;img src=x onerror=alert(1)&gt;&amp;co may');
      expect(body).to.not.include('<img src=x');
    });
  });
}
