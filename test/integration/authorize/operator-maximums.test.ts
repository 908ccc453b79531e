import { expect } from 'chai';
import * as oidc from 'openid-client';
import { escapeHtml } from '../../../src/as/views/html.ts';
import { engines } from '../../support/databases.ts';
import {
  type AuthorizeOptions,
  authorize,
  discover,
  exchange,
  limitInputsOf,
  signInAndReachConsent,
  startAuthorization,
} from '../../support/oauth-flow.ts';
import { captureProviderNotices } from '../../support/provider-notices.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import { createUserAgent, csrfOf, formAction } from '../../support/user-agent.ts';
import { find, textOf } from '../../unit/as/views/html-checks.ts';

const SCOPE = 'openai:gpt-4o-mini:chat';
/** The operator's maximums: no grant may allow more. Tokens have none. */
const MAXIMUMS = { maxRequests: 500, maxSpendUsd: 2, requestsPerMinute: 30 };
const ASKED = [
  {
    type: 'ai_access',
    provider: 'openai',
    limits: { max_requests: 1000, max_spend_usd: 1.5, period: 'month', requests_per_minute: 60 },
  },
];

/** `max` and `required` of each number input of a consent page, by name. */
function limitBounds(page: string): Record<string, { max?: string; required: boolean }> {
  const out: Record<string, { max?: string; required: boolean }> = {};
  for (const input of find(page, 'input', (t) => t.attrs.get('type') === 'number')) {
    const max = input.attrs.get('max');
    out[input.attrs.get('name') as string] = {
      ...(max === undefined ? {} : { max }),
      required: input.attrs.has('required'),
    };
  }
  return out;
}

/*
 * The operator's maximums (as.limitMaximums): the consent page caps each limit at the
 * lower of the app's ask and the maximum, adds the capped limits the app did not ask
 * for, refuses anything above, and plain-scope grants get the maximums too.
 */
for (const engine of engines) {
  describe(`operator maximums for limits (${engine})`, () => {
    let as: RunningAs;
    let app: { clientId: string; redirectUri: string };
    let config: oidc.Configuration;
    let proxy: oidc.Configuration;
    let notices: ReturnType<typeof captureProviderNotices>;

    before(async () => {
      notices = captureProviderNotices();
      as = await startAuthorizationServer(engine, { as: { limitMaximums: MAXIMUMS } });
      await as.addUser('alice', 'correct horse battery');
      proxy = await discover(as, as.proxyClient.id, as.proxyClient.secret);
    });
    after(async () => {
      notices.restore();
      await as.close();
    });
    // A fresh app per test, so no consent page here is a re-authorization.
    beforeEach(async () => {
      app = await as.addClient({ name: 'Writer' });
      config = await discover(as, app.clientId);
    });

    const opts = (details: unknown = ASKED, extra: Partial<AuthorizeOptions> = {}): AuthorizeOptions => ({
      redirectUri: app.redirectUri,
      scope: SCOPE,
      extraParams: { authorization_details: JSON.stringify(details) },
      ...extra,
    });

    async function consentPage(o: AuthorizeOptions) {
      const ua = createUserAgent();
      const { url } = await startAuthorization(config, as, o);
      const page = await signInAndReachConsent(ua, url.toString(), o);
      expect(page.status).to.equal(200);
      return { ua, page };
    }

    async function grantOf(accessToken: string) {
      const introspected = await oidc.tokenIntrospection(proxy, accessToken);
      return as.stores.grants.find(introspected.grant_id as string);
    }

    it('each field is capped at the lower of the ask and the maximum, and prefilled with it', async () => {
      const { page } = await consentPage(opts());
      expect(limitInputsOf(page.body)).to.deep.equal({
        'limit-openai-max_requests': '500',
        'limit-openai-max_tokens': '',
        'limit-openai-max_spend_usd': '1.5',
        'limit-openai-requests_per_minute': '30',
      });
      expect(limitBounds(page.body)).to.deep.equal({
        'limit-openai-max_requests': { max: '500', required: true },
        'limit-openai-max_tokens': { required: false },
        'limit-openai-max_spend_usd': { max: '1.5', required: true },
        'limit-openai-requests_per_minute': { max: '30', required: true },
      });
      expect(textOf(page.body, /<p class="hint" id="maximums-hint">/)).to.equal(
        'This server allows no app more than 500 requests, $2.00 spending, 30 requests per minute, for all providers together.',
      );
      expect(page.body).to.include('The app asked for at most 1,000; this server allows at most 500.');
      expect(page.body).to.include('The app asked for at most $1.50. You can lower it, not raise it.');
      // The app asked for monthly caps: the maximums count per month too.
      expect(page.body).to.match(/<option value="month" selected>/);
    });

    it('a value above the maximum (even within the ask) is refused, and no grant is made', async () => {
      const { ua, page } = await consentPage(opts());
      const before = (await as.stores.grants.list({ includeEnded: true })).length;
      const post = (fields: Record<string, string>) =>
        ua.request(formAction(page.body, page.url, '/consent'), {
          form: {
            csrf: csrfOf(page.body),
            scope: [SCOPE],
            duration: String(Number(/<option value="(\d+)" selected/.exec(page.body)?.[1])),
            ...limitInputsOf(page.body),
            period: 'month',
            decision: 'allow',
            ...fields,
          },
        });
      const cases: Array<[Record<string, string>, string]> = [
        [
          { 'limit-openai-max_requests': '501' },
          'OpenAI: most requests can be at most 500, the most this server allows. You can lower a limit, not raise it.',
        ],
        [
          { 'limit-openai-requests_per_minute': '60' },
          'OpenAI: most requests per minute can be at most 30, the most this server allows.',
        ],
        [
          { 'limit-openai-max_spend_usd': '1.75' },
          'OpenAI: most spending, in US dollars can be at most $1.50, what the app asked for.',
        ],
        [
          { 'limit-openai-max_requests': '' },
          'OpenAI: most requests must be set, at most 500, the most this server allows.',
        ],
      ];
      for (const [fields, message] of cases) {
        const res = await post(fields);
        expect(res.status, JSON.stringify(fields)).to.equal(400);
        expect(res.body).to.match(/<div class="error-summary"[^>]*tabindex="-1" autofocus>/);
        expect(res.body).to.include(message);
      }
      expect((await as.stores.grants.list({ includeEnded: true })).length).to.equal(before);
    });

    it('a capped limit the app did not ask for is added at the maximum, and can be lowered', async () => {
      const asked = [{ type: 'ai_access', provider: 'openai', limits: { max_tokens: 10_000 } }];
      const { page } = await consentPage(opts(asked));
      expect(limitInputsOf(page.body)).to.deep.equal({
        'limit-openai-max_requests': '500',
        'limit-openai-max_tokens': '10000',
        'limit-openai-max_spend_usd': '2',
        'limit-openai-requests_per_minute': '30',
      });
      expect(page.body).to.include(
        'The app asked for no limit here; this server allows at most $2.00. You can lower it.',
      );
      // The app asked for a lifetime cap: only lifetime.
      expect(page.body).to.not.include('value="month"');
      expect(page.body).to.include('<option value="lifetime" selected>');

      const tokens = await exchange(
        await authorize(
          config,
          as,
          createUserAgent(),
          opts(asked, { limits: { 'limit-openai-max_requests': '40' } }),
        ),
      );
      expect(tokens.authorization_details).to.deep.equal([
        {
          type: 'ai_access',
          provider: 'openai',
          limits: {
            max_requests: 40,
            max_tokens: 10_000,
            max_spend_usd: 2,
            requests_per_minute: 30,
            period: 'lifetime',
          },
        },
      ]);
      // OpenAI's caps as approved; the grant as a whole within the operator's maximums.
      expect((await grantOf(tokens.access_token))?.limits).to.deep.equal({
        maxRequests: 40,
        maxTokens: 10_000,
        maxSpendMicroUsd: 2_000_000,
        limitPeriod: 'lifetime',
        requestsPerMinute: 30,
        providers: {
          openai: { maxRequests: 40, maxTokens: 10_000, maxSpendMicroUsd: 2_000_000, requestsPerMinute: 30 },
        },
      });
    });

    it('without monthly caps asked for, the maximums count over the whole grant: month is refused', async () => {
      const asked = [{ type: 'ai_access', provider: 'openai', limits: { requests_per_minute: 10 } }];
      const { ua, page } = await consentPage(opts(asked));
      expect(page.body).to.not.include('value="month"');
      expect(page.body).to.include('<option value="lifetime" selected>');
      const res = await ua.request(formAction(page.body, page.url, '/consent'), {
        form: {
          csrf: csrfOf(page.body),
          scope: [SCOPE],
          duration: String(Number(/<option value="(\d+)" selected/.exec(page.body)?.[1])),
          ...limitInputsOf(page.body),
          period: 'month',
          decision: 'allow',
        },
      });
      expect(res.status).to.equal(400);
      expect(res.body).to.include(
        escapeHtml(
          "This server's maximums count over the whole time access lasts; the limits cannot be made monthly.",
        ),
      );
    });

    it('the grant as a whole never passes a maximum, whatever the providers add up to', async () => {
      const asked = [
        { type: 'ai_access', provider: 'openai', limits: { max_spend_usd: 2 } },
        { type: 'ai_access', provider: 'anthropic', limits: { max_spend_usd: 2 } },
      ];
      const tokens = await exchange(
        await authorize(
          config,
          as,
          createUserAgent(),
          opts(asked, { scope: 'openai:gpt-4o-mini:chat anthropic:*:chat' }),
        ),
      );
      // Each provider may spend $2, the grant as a whole not more than the maximum, $2.
      expect((await grantOf(tokens.access_token))?.limits).to.deep.equal({
        maxRequests: 500,
        maxTokens: null,
        maxSpendMicroUsd: 2_000_000,
        limitPeriod: 'lifetime',
        requestsPerMinute: 30,
        providers: {
          openai: { maxRequests: 500, maxTokens: null, maxSpendMicroUsd: 2_000_000, requestsPerMinute: 30 },
          anthropic: {
            maxRequests: 500,
            maxTokens: null,
            maxSpendMicroUsd: 2_000_000,
            requestsPerMinute: 30,
          },
        },
      });
    });

    it('plain scopes: the page says the limits, and the grant gets the maximums over its whole life', async () => {
      const plain = { redirectUri: app.redirectUri, scope: SCOPE };
      const { page } = await consentPage(plain);
      expect(limitInputsOf(page.body)).to.deep.equal({});
      expect(page.body).to.include('<h2>Limits</h2>');
      expect(page.body).to.include(
        "So this app's limits are <strong>at most 500 requests, $2.00 in total; 30 requests per minute</strong>",
      );
      const tokens = await exchange(await authorize(config, as, createUserAgent(), plain));
      // The app asked with plain scopes: its tokens carry none of RFC 9396's details.
      expect(tokens.authorization_details).to.equal(undefined);
      expect((await grantOf(tokens.access_token))?.limits).to.deep.equal({
        maxRequests: 500,
        maxTokens: null,
        maxSpendMicroUsd: 2_000_000,
        limitPeriod: 'lifetime',
        requestsPerMinute: 30,
        providers: {},
      });
    });

    it('prints no oidc-provider WARNING or NOTICE along the way', () => {
      expect(notices.seen).to.deep.equal([]);
    });
  });
}
