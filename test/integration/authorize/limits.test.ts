import { expect } from 'chai';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { engines } from '../../support/databases.ts';
import {
  type AuthorizeOptions,
  authorize,
  consent,
  discover,
  exchange,
  limitInputsOf,
  signInAndReachConsent,
  startAuthorization,
} from '../../support/oauth-flow.ts';
import { captureProviderNotices } from '../../support/provider-notices.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import { createUserAgent, csrfOf, formAction } from '../../support/user-agent.ts';

const SCOPE = 'openai:gpt-4o-mini:chat';
const ASKED = [
  {
    type: 'ai_access',
    provider: 'openai',
    models: ['gpt-4o-mini'],
    capabilities: ['chat'],
    limits: { max_requests: 1000, max_spend_usd: 5, period: 'month', requests_per_minute: 60 },
  },
];

for (const engine of engines) {
  describe(`authorization_details ai_access limits (${engine})`, () => {
    let as: RunningAs;
    let app: { clientId: string; redirectUri: string };
    let proxy: oidc.Configuration;
    let notices: ReturnType<typeof captureProviderNotices>;

    before(async () => {
      notices = captureProviderNotices();
      as = await startAuthorizationServer(engine);
      await as.addUser('alice', 'correct horse battery');
      app = await as.addClient({ name: 'Writer' });
      proxy = await discover(as, as.proxyClient.id, as.proxyClient.secret);
    });
    after(async () => {
      notices.restore();
      await as.close();
    });

    const opts = (extra: Partial<AuthorizeOptions> = {}, details: unknown = ASKED): AuthorizeOptions => ({
      redirectUri: app.redirectUri,
      scope: SCOPE,
      extraParams: { authorization_details: JSON.stringify(details) },
      ...extra,
    });

    it('advertises the ai_access type', () => {
      expect(proxy.serverMetadata().authorization_details_types_supported).to.deep.equal(['ai_access']);
    });

    it('the person lowers a limit and adds one; tokens, introspection and the grants row carry them', async () => {
      const config = await discover(as, app.clientId);
      const authorized = await authorize(
        config,
        as,
        createUserAgent(),
        opts({
          limits: { 'limit-openai-max_requests': '200', 'limit-openai-max_tokens': '50000' },
          period: 'lifetime',
        }),
      );
      const tokens = await exchange(authorized);
      const granted = [
        {
          type: 'ai_access',
          provider: 'openai',
          models: ['gpt-4o-mini'],
          capabilities: ['chat'],
          limits: {
            max_requests: 200,
            max_tokens: 50000,
            max_spend_usd: 5,
            requests_per_minute: 60,
            period: 'lifetime',
          },
        },
      ];
      expect(tokens.authorization_details).to.deep.equal(granted);
      expect(decodeJwt(tokens.access_token).authorization_details).to.deep.equal(granted);

      const introspected = await oidc.tokenIntrospection(proxy, tokens.access_token);
      expect(introspected.active).to.equal(true);
      expect(introspected.authorization_details).to.deep.equal(granted);
      const rt = await oidc.tokenIntrospection(proxy, tokens.refresh_token as string);
      expect(rt.authorization_details).to.deep.equal(granted);

      const grant = await as.stores.grants.find(introspected.grant_id as string);
      // OpenAI's own caps (they count its requests only); the only provider, so the
      // grant as a whole is capped the same.
      expect(grant?.limits).to.deep.equal({
        maxRequests: 200,
        maxTokens: 50000,
        maxSpendMicroUsd: 5_000_000,
        limitPeriod: 'lifetime',
        requestsPerMinute: 60,
        providers: {
          openai: { maxRequests: 200, maxTokens: 50000, maxSpendMicroUsd: 5_000_000, requestsPerMinute: 60 },
        },
      });

      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
      expect(refreshed.authorization_details).to.deep.equal(granted);
      expect(
        (await oidc.tokenIntrospection(proxy, refreshed.access_token)).authorization_details,
      ).to.deep.equal(granted);

      // Lowered later (the account page): introspection and refreshed tokens say so.
      const lowered = await as.stores.grants.lowerLimits(introspected.grant_id as string, {
        providers: { openai: { maxRequests: 20 } },
      });
      expect(lowered.ok).to.equal(true);
      const now = [{ ...granted[0], limits: { ...granted[0]?.limits, max_requests: 20 } }];
      expect(
        (await oidc.tokenIntrospection(proxy, refreshed.access_token)).authorization_details,
      ).to.deep.equal(now);
      const again = await oidc.refreshTokenGrant(config, refreshed.refresh_token as string);
      expect(decodeJwt(again.access_token).authorization_details).to.deep.equal(now);
    });

    it('the consent page shows the asked limits as inputs the person can lower', async () => {
      const config = await discover(as, app.clientId);
      const { url } = await startAuthorization(config, as, opts());
      const page = await signInAndReachConsent(createUserAgent(), url.toString(), opts());
      expect(page.body).to.include('Limits for OpenAI');
      expect(limitInputsOf(page.body)).to.deep.equal({
        'limit-openai-max_requests': '1000',
        'limit-openai-max_tokens': '',
        'limit-openai-max_spend_usd': '5',
        'limit-openai-requests_per_minute': '60',
      });
      expect(page.body).to.include('max="1000" required');
      expect(page.body).to.match(/<option value="month" selected>/);
    });

    it('raising a limit above what the app asked is refused, and no grant is made', async () => {
      const config = await discover(as, app.clientId);
      const ua = createUserAgent();
      const { url } = await startAuthorization(config, as, opts());
      const page = await signInAndReachConsent(ua, url.toString(), opts());
      const before = (await as.stores.grants.list({ includeEnded: true })).length;
      for (const [field, value] of [
        ['limit-openai-max_requests', '1001'],
        ['limit-openai-max_spend_usd', ''],
        ['limit-openai-max_tokens', '-5'],
        ['limit-openai-requests_per_minute', '1.5'],
      ] as const) {
        const res = await ua.request(formAction(page.body, page.url, '/consent'), {
          form: {
            csrf: csrfOf(page.body),
            scope: [SCOPE],
            duration: String(Number(/<option value="(\d+)" selected/.exec(page.body)?.[1])),
            ...limitInputsOf(page.body),
            [field]: value,
            period: 'month',
            decision: 'allow',
          },
        });
        expect(res.status, `${field}=${value}`).to.equal(400);
        // Summarised at the top, linking to the limit's input (one provider: limit-0-N).
        expect(res.body).to.include('id="error-summary"');
        const target =
          /<div class="error-summary"[^>]*>\s*<h2[^>]*>There is a problem<\/h2>\s*<ul><li><a href="#([\w-]+)">/.exec(
            res.body,
          )?.[1];
        // The link goes to the very input refused.
        expect(res.body, `${field}=${value}`).to.match(
          new RegExp(`<input type="number" id="${target}" name="${field}"`),
        );
      }
      const refused = await ua.request(formAction(page.body, page.url, '/consent'), {
        form: {
          csrf: csrfOf(page.body),
          scope: [SCOPE],
          duration: String(Number(/<option value="(\d+)" selected/.exec(page.body)?.[1])),
          ...limitInputsOf(page.body),
          'limit-openai-max_requests': '1001',
          decision: 'allow',
        },
      });
      expect(refused.body).to.include('can be at most 1,000, what the app asked for');
      expect((await as.stores.grants.list({ includeEnded: true })).length).to.equal(before);
      // The person can still allow within the asked limits on the same page.
      const done = await consent(ua, page, opts());
      expect(done.location?.startsWith(app.redirectUri)).to.equal(true);
    });

    it('a lifetime cap the app asked for cannot be made monthly', async () => {
      const config = await discover(as, app.clientId);
      const asked = [{ type: 'ai_access', provider: 'openai', limits: { max_tokens: 100 } }];
      const ua = createUserAgent();
      const { url } = await startAuthorization(config, as, opts({}, asked));
      const page = await signInAndReachConsent(ua, url.toString(), opts({}, asked));
      expect(page.body).to.not.include('value="month"');
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
    });

    it('plain scopes keep working without details, and store no limits', async () => {
      const config = await discover(as, app.clientId);
      const tokens = await exchange(
        await authorize(config, as, createUserAgent(), { redirectUri: app.redirectUri, scope: SCOPE }),
      );
      expect(tokens.authorization_details).to.equal(undefined);
      const introspected = await oidc.tokenIntrospection(proxy, tokens.access_token);
      expect(introspected.authorization_details).to.equal(undefined);
      const grant = await as.stores.grants.find(introspected.grant_id as string);
      expect(grant?.limits).to.deep.equal({
        maxRequests: null,
        maxTokens: null,
        maxSpendMicroUsd: null,
        limitPeriod: 'lifetime',
        requestsPerMinute: null,
        providers: {},
      });
    });

    for (const [name, details] of [
      ['not JSON', '{'],
      ['unknown field', [{ ...ASKED[0], extra: 1 }]],
      ['unknown provider', [{ type: 'ai_access', provider: 'mistral' }]],
      ['unknown capability', [{ type: 'ai_access', provider: 'openai', capabilities: ['teleport'] }]],
      ['negative limit', [{ type: 'ai_access', provider: 'openai', limits: { max_requests: -1 } }]],
      ['non-integer limit', [{ type: 'ai_access', provider: 'openai', limits: { max_tokens: 1.5 } }]],
      ['unknown limit', [{ type: 'ai_access', provider: 'openai', limits: { max_images: 3 } }]],
      ['unknown type', [{ type: 'payment_initiation' }]],
      ['provider without a scope', [{ type: 'ai_access', provider: 'anthropic' }]],
      ['repeated provider', [ASKED[0], ASKED[0]]],
    ] as const) {
      it(`malformed details (${name}) → invalid_authorization_details`, async () => {
        const config = await discover(as, app.clientId);
        const raw = typeof details === 'string' ? details : JSON.stringify(details);
        const { url } = await startAuthorization(config, as, {
          redirectUri: app.redirectUri,
          scope: SCOPE,
          extraParams: { authorization_details: raw },
        });
        const hop = await createUserAgent().follow(url.toString(), app.redirectUri);
        expect(hop.location, hop.body.slice(0, 300)).to.be.a('string');
        const back = new URL(hop.location as string);
        expect(back.searchParams.get('error')).to.equal('invalid_authorization_details');
      });
    }

    it('prints no oidc-provider WARNING or NOTICE along the way', () => {
      expect(notices.seen).to.deep.equal([]);
    });
  });
}
