import { expect } from 'chai';
import { decodeJwt } from 'jose';
import type * as oidc from 'openid-client';
import { escapeHtml } from '../../../src/as/views/html.ts';
import { formatAgainstCap } from '../../../src/usage/format-usage.ts';
import { createGrantUsage } from '../../../src/usage/grant-usage.ts';
import { engines } from '../../support/databases.ts';
import { authorize, discover, exchange } from '../../support/oauth-flow.ts';
import { expectStrictCsp, signInToAccount } from '../../support/security-checks.ts';
import {
  type RunningAs,
  startAuthorizationServer,
  TEST_OPERATOR_KEYS,
} from '../../support/start-authorization-server.ts';
import {
  createUserAgent,
  csrfOf,
  formAction,
  type Hop,
  linkTo,
  seeOther,
  type UserAgent,
} from '../../support/user-agent.ts';
import { attrBreakout, scriptName } from '../../unit/as/views/fixtures.ts';
import { assertPage, find, textOf } from '../../unit/as/views/html-checks.ts';
import { insertUsage } from './usage-records.ts';

const PASSWORD = 'correct horse battery';
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
/** OpenAI's own caps, as the person approved them on the consent page. */
const OPENAI_CAPS = {
  maxRequests: 1000,
  maxTokens: null,
  maxSpendMicroUsd: 5_000_000,
  requestsPerMinute: 60,
};

/**
 * The server's clock: noon on the 15th of last month (UTC), so the monthly period and
 * the 30-day series hold every record below whatever day the test runs.
 */
const today = new Date();
const NOW = Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 1, 15, 12);

/** The values the lower-limits form shows, by field name. */
function limitFields(page: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const input of find(page, 'input', (t) => t.attrs.get('type') === 'number'))
    out[input.attrs.get('name') as string] = input.attrs.get('value') ?? '';
  return out;
}

/*
 * The person's view of one connected app over HTTP: their own grant's figures, history
 * and limits; another person's grant is not found; lowering limits needs the CSRF token,
 * never raises, and is recorded.
 */
for (const engine of engines) {
  describe(`account: a connected app's page (${engine})`, () => {
    let as: RunningAs;
    let app: { clientId: string; redirectUri: string };
    let config: oidc.Configuration;
    let alice: UserAgent;
    let bob: UserAgent;
    let grantId: string;
    let accessToken: string;
    let appPath: string;

    before(async () => {
      as = await startAuthorizationServer(engine, {}, () => NOW);
      const aliceId = await as.addUser('alice', PASSWORD);
      await as.addUser('bob', PASSWORD);
      app = await as.addClient({ name: 'Writer' });
      config = await discover(as, app.clientId);
      alice = createUserAgent();
      expect((await signInToAccount(alice, as, 'alice', PASSWORD)).status).to.equal(303);
      const tokens = await exchange(
        await authorize(config, as, alice, {
          redirectUri: app.redirectUri,
          scope: SCOPE,
          extraParams: { authorization_details: JSON.stringify(ASKED) },
          period: 'month',
        }),
      );
      accessToken = tokens.access_token;
      grantId = decodeJwt(tokens.access_token).grant_id as string;
      appPath = `/account/apps/${encodeURIComponent(grantId)}`;
      const now = NOW;
      await insertUsage(as.database.db, { id: grantId, accountId: aliceId, clientId: app.clientId }, [
        { createdAt: now - 2 * 24 * 3600_000, inputTokens: 1200, outputTokens: 300, costMicroUsd: 12_345 },
        {
          createdAt: now - 60_000,
          inputTokens: 10,
          outputTokens: 5,
          costMicroUsd: 40,
          status: 499,
          clientAborted: true,
        },
        {
          createdAt: now,
          inputTokens: 7,
          outputTokens: 0,
          costMicroUsd: null,
          model: 'gpt-4o-mini-2024-07-18',
        },
      ]);
      bob = createUserAgent();
      expect((await signInToAccount(bob, as, 'bob', PASSWORD)).status).to.equal(303);
    });
    after(() => as.close());

    const figures = async () => {
      const grant = await as.stores.grants.find(grantId);
      return createGrantUsage(as.database.db)(grant as NonNullable<typeof grant>, NOW);
    };

    it('approving the app recorded an "approved" event with its scopes and limits', async () => {
      const events = await as.stores.grantEvents.forGrant(grantId);
      expect(events.map((e) => e.kind)).to.deep.equal(['approved']);
      expect(events[0]?.detail).to.deep.include({
        scopes: [SCOPE],
        limits: {
          maxRequests: 1000,
          maxTokens: null,
          maxSpendMicroUsd: 5_000_000,
          limitPeriod: 'month',
          requestsPerMinute: 60,
          providers: { openai: OPENAI_CAPS },
        },
      });
    });

    it('the account home lists the app, linking to its page, with usage against each cap', async () => {
      const home = await alice.request(`${as.issuer}/account`);
      expect(home.status).to.equal(200);
      assertPage(home.body, csrfOf(home.body));
      expect(find(home.body, 'a', (a) => a.attrs.get('href') === appPath)).to.have.length(1);
      const usage = await figures();
      expect(home.body).to.include(escapeHtml(formatAgainstCap('requests', usage.requests)));
      expect(home.body).to.include('3 of 1,000 (&lt;1%)');
      expect(home.body).to.include('$0.01 of $5.00 (&lt;1%)');
    });

    it('its page shows scopes, limits, usage against each cap, 30 days, recent requests and history', async () => {
      const page = await alice.request(`${as.issuer}${appPath}`);
      expect(page.status).to.equal(200);
      expect(page.headers.get('cache-control')).to.equal('no-store');
      expectStrictCsp(page.headers);
      assertPage(page.body, csrfOf(page.body));
      expect(textOf(page.body, /<h1>/)).to.equal('Writer');
      expect(page.body)
        .to.include('Chat with GPT-4o mini')
        .and.include(`<code class="scope-token">${SCOPE}</code>`);
      expect(page.body).to.include(
        'Limits: at most 1,000 requests, $5.00 each calendar month; 60 requests per minute.',
      );
      const usage = await figures();
      for (const [measure, cap] of [
        ['requests', usage.requests],
        ['tokens', usage.tokens],
        ['spend', usage.spendMicroUsd],
      ] as const) {
        expect(page.body).to.include(escapeHtml(formatAgainstCap(measure, cap)));
      }
      expect(page.body).to.include('1,522 (no cap)');
      expect(page.body).to.include('1 of these requests had no price');
      expect(page.body).to.include(`${usage.period.key} (resets `);

      // Three charts, each an image with a name and a description, and the same days as a table.
      const charts = find(page.body, 'svg');
      expect(charts.map((c) => c.attrs.get('role'))).to.deep.equal(['img', 'img', 'img']);
      expect(textOf(page.body, /<title id="chart-requests-title">/)).to.equal(
        'Requests per day, last 30 days',
      );
      expect(textOf(page.body, /<desc id="chart-requests-desc">/)).to.match(
        /: 3 in total\. Highest on \d{4}-\d\d-\d\d: 2\.$/,
      );
      expect(find(page.body, 'rect')).to.have.length(90);
      expect(page.body).to.include('<summary>The last 30 days as a table</summary>');
      expect(page.body.match(/<th scope="row">\d{4}-\d\d-\d\d<\/th>/g)).to.have.length(30);

      // Recent requests: newest first, never any content; and the history.
      const recent = page.body.slice(
        page.body.indexOf('<h2>Recent requests</h2>'),
        page.body.indexOf('<h2>Lower limits</h2>'),
      );
      expect(recent).to.include('gpt-4o-mini-2024-07-18').and.include('499 (the app hung up)');
      expect(recent.indexOf('gpt-4o-mini-2024-07-18')).to.be.lessThan(
        recent.indexOf('499 (the app hung up)'),
      );
      expect(recent).to.include('no price').and.include('$0.01').and.include('1,200');
      const history = page.body.slice(page.body.indexOf('<h2>History</h2>'));
      expect(history).to.include('<strong>Approved</strong>');
      expect(history).to.include(
        `Allowed: access to ${SCOPE}; at most 1,000 requests, $5.00 each calendar month`,
      );

      // The form shows the current limits, dollars for spending.
      expect(limitFields(page.body)).to.deep.equal({
        max_requests: '1000',
        max_tokens: '',
        max_spend_usd: '5.00',
        requests_per_minute: '60',
        'limit-openai-max_requests': '1000',
        'limit-openai-max_tokens': '',
        'limit-openai-max_spend_usd': '5.00',
        'limit-openai-requests_per_minute': '60',
      });
      expect(linkTo(page.body, page.url, `/account/grants/${grantId}/revoke`)).to.be.a('string');

      // Secrets never appear: not the app's token, not a provider key.
      for (const secret of [accessToken, ...Object.values(TEST_OPERATOR_KEYS)])
        expect(page.body).to.not.include(secret);
    });

    it('another person, or an unknown id, gets 404 from the page, the form and the API', async () => {
      expect((await bob.request(`${as.issuer}${appPath}`)).status).to.equal(404);
      expect((await alice.request(`${as.issuer}/account/apps/nope`)).status).to.equal(404);
      const bobHome = await bob.request(`${as.issuer}/account`);
      const posted = await bob.request(`${as.issuer}${appPath}/limits`, {
        form: {
          csrf: csrfOf(bobHome.body),
          max_requests: '1',
          max_spend_usd: '5',
          requests_per_minute: '60',
        },
      });
      expect(posted.status).to.equal(404);
      expect(
        (await bob.request(`${as.issuer}/account/api/grants/${encodeURIComponent(grantId)}/usage`)).status,
      ).to.equal(404);
      expect((await as.stores.grants.find(grantId))?.limits.maxRequests).to.equal(1000);
      // Signed out: the page asks to sign in; the form is refused.
      const stranger = createUserAgent();
      const out = await stranger.request(`${as.issuer}${appPath}`);
      expect(out.status).to.equal(302);
      expect(out.location).to.equal(`${as.issuer}/account/login`);
      expect(
        (await stranger.request(`${as.issuer}${appPath}/limits`, { form: { max_requests: '1' } })).status,
      ).to.equal(401);
    });

    /** Posts the form; a success (303, post/redirect/get) is followed to the page it names. */
    async function lower(ua: UserAgent, fields: Record<string, string>, csrf?: string): Promise<Hop> {
      const posted = await postLower(ua, fields, csrf);
      return posted.status === 303 ? seeOther(ua, posted) : posted;
    }

    async function postLower(ua: UserAgent, fields: Record<string, string>, csrf?: string): Promise<Hop> {
      const page = await ua.request(`${as.issuer}${appPath}`);
      return ua.request(formAction(page.body, page.url, `${appPath}/limits`), {
        form: {
          ...limitFields(page.body),
          ...fields,
          ...(csrf === undefined ? { csrf: csrfOf(page.body) } : csrf ? { csrf } : {}),
        },
      });
    }

    it('lowering limits needs the CSRF token', async () => {
      const forged = await lower(alice, { max_requests: '10' }, '');
      expect(forged.status).to.equal(403);
      const wrong = await lower(alice, { max_requests: '10' }, 'not-the-token');
      expect(wrong.status).to.equal(403);
      expect((await as.stores.grants.find(grantId))?.limits.maxRequests).to.equal(1000);
    });

    it('raising, removing or garbling a limit is refused with a clear message, and nothing changes', async () => {
      for (const [fields, message, invalid] of [
        [{ max_requests: '1001' }, 'Most requests can only be lowered: it is 1,000 now.', 'max_requests'],
        [
          { max_spend_usd: '5.01' },
          'Most spending, in US dollars can only be lowered: it is $5.00 now.',
          'max_spend_usd',
        ],
        [
          { requests_per_minute: '' },
          'Most requests per minute is 60 now: it can be lowered, not removed.',
          'requests_per_minute',
        ],
        [
          { max_tokens: '1.5' },
          'Most tokens (input and output) must be a whole number of at least 1.',
          'max_tokens',
        ],
        [{ max_spend_usd: '0' }, 'must be an amount above $0', 'max_spend_usd'],
      ] as const) {
        const res = await lower(alice, fields);
        expect(res.status, JSON.stringify(fields)).to.equal(400);
        expect(textOf(res.body, /<div class="alert alert-error" id="limits-error" role="alert">/)).to.include(
          message,
        );
        const field = find(res.body, 'input', (t) => t.attrs.get('name') === invalid)[0];
        expect(field?.attrs.get('aria-invalid')).to.equal('true');
        expect(field?.attrs.get('aria-describedby')).to.include('limits-error');
        // The error summary at the top of the page takes focus and links to the field.
        const summary = find(res.body, 'div', (t) => t.attrs.get('class') === 'error-summary')[0];
        expect(summary?.attrs.get('tabindex')).to.equal('-1');
        expect(summary?.attrs.has('autofocus')).to.equal(true);
        expect(res.body.indexOf('class="error-summary"')).to.be.below(res.body.indexOf('<h2>Can use</h2>'));
        expect(textOf(res.body, /<div class="error-summary"/))
          .to.include('There is a problem')
          .and.include(message);
        expect(
          find(res.body, 'a', (t) => t.attrs.get('href') === `#${field?.attrs.get('id')}`),
        ).to.have.length(1);
        assertPage(res.body, csrfOf(res.body));
      }
      const grant = await as.stores.grants.find(grantId);
      expect(grant?.limits).to.deep.include({
        maxRequests: 1000,
        maxTokens: null,
        maxSpendMicroUsd: 5_000_000,
      });
      expect((await as.stores.grantEvents.forGrant(grantId)).map((e) => e.kind)).to.deep.equal(['approved']);
    });

    it('lowering works: the page shows the new limits, the history says so, proxies are told', async () => {
      const seqBefore = await as.stores.revocations.lastSeq();
      const posted = await postLower(alice, {
        max_requests: '200',
        max_tokens: '50000',
        max_spend_usd: '2.5',
      });
      // Post/redirect/get: the browser then shows a GET, and a reload never posts again.
      expect(posted.status).to.equal(303);
      expect(posted.location).to.equal(`${as.issuer}${appPath}?saved=changed`);
      const res = await seeOther(alice, posted);
      expect(res.status).to.equal(200);
      expect(textOf(res.body, /<div class="alert alert-info" role="status">/)).to.equal(
        escapeHtml(
          "New limits saved: at most 200 requests, 50,000 tokens, $2.50 each calendar month; 60 requests per minute. They apply from the app's next request.",
        ),
      );
      expect(limitFields(res.body)).to.deep.equal({
        max_requests: '200',
        max_tokens: '50000',
        max_spend_usd: '2.50',
        requests_per_minute: '60',
        'limit-openai-max_requests': '1000',
        'limit-openai-max_tokens': '',
        'limit-openai-max_spend_usd': '5.00',
        'limit-openai-requests_per_minute': '60',
      });
      expect(res.body).to.include('3 of 200 (1%)');
      expect(res.body).to.include('<strong>Limits lowered</strong>');
      expect(res.body).to.include(
        'Limits lowered on the account page: most requests 1,000 → 200, most tokens none → 50,000, most spending $5.00 → $2.50.',
      );
      const grant = await as.stores.grants.find(grantId);
      expect(grant?.limits).to.deep.equal({
        maxRequests: 200,
        maxTokens: 50000,
        maxSpendMicroUsd: 2_500_000,
        limitPeriod: 'month',
        requestsPerMinute: 60,
        // OpenAI's own caps as approved stay; the grant as a whole is now the tighter.
        providers: { openai: OPENAI_CAPS },
      });
      const events = await as.stores.grantEvents.forGrant(grantId);
      expect(events.map((e) => e.kind)).to.deep.equal(['approved', 'narrowed']);
      expect(events[1]?.detail).to.deep.equal({
        from: { maxRequests: 1000, maxTokens: null, maxSpendMicroUsd: 5_000_000 },
        to: { maxRequests: 200, maxTokens: 50000, maxSpendMicroUsd: 2_500_000 },
        by: 'account_page',
      });
      const log = await as.stores.revocations.readLog(seqBefore);
      expect(log.map((e) => [e.kind, e.grantId])).to.deep.equal([['limits', grantId]]);

      // Submitting the same values again changes nothing and records nothing.
      const again = await lower(alice, {});
      expect(again.status).to.equal(200);
      expect(again.body).to.include('Nothing changed: the limits are as they were.');
      expect(await as.stores.grantEvents.forGrant(grantId)).to.have.length(2);
    });

    it('the JSON API gives the person’s own tools the same figures, same-origin only', async () => {
      const url = `${as.issuer}/account/api/grants/${encodeURIComponent(grantId)}/usage`;
      const res = await alice.request(url);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      expect(res.headers.get('access-control-allow-origin')).to.equal(null);
      const body = JSON.parse(res.body);
      const usage = await figures();
      expect(body).to.deep.include({ grant_id: grantId, app_name: 'Writer', state: 'live', scopes: [SCOPE] });
      expect(body.limits).to.deep.equal({
        max_requests: 200,
        max_tokens: 50000,
        max_spend_micro_usd: 2_500_000,
        period: 'month',
        requests_per_minute: 60,
      });
      const cap = (c: typeof usage.requests) => ({
        used: c.used,
        in_flight: c.inFlight,
        set_aside: c.setAside,
        limit: c.limit,
        remaining: c.remaining,
        percent: c.percent,
      });
      expect(body.usage.requests).to.deep.equal(cap(usage.requests));
      expect(body.usage.tokens).to.deep.equal(cap(usage.tokens));
      expect(body.usage.spend_micro_usd).to.deep.equal(cap(usage.spendMicroUsd));
      // The whole grant's and OpenAI's own caps, each against its own counters.
      expect(body.whole_grant.usage.requests).to.deep.equal(cap(usage.requests));
      const openai = usage.providers.find((p) => p.scope === 'openai');
      expect(openai).to.not.equal(undefined);
      expect(Object.keys(body.providers)).to.deep.equal(['openai']);
      expect(body.providers.openai.limits).to.deep.equal({
        max_requests: 1000,
        max_tokens: null,
        max_spend_micro_usd: 5_000_000,
        requests_per_minute: 60,
      });
      expect(body.providers.openai.usage.requests).to.deep.equal(cap(openai?.requests ?? usage.requests));
      expect(body.providers.openai.usage.requests).to.deep.include({ used: 3, limit: 1000, remaining: 997 });
      expect(body.last_30_days.days).to.have.length(30);
      expect(body.recent_requests).to.have.length(3);
      expect(res.body).to.not.include(accessToken);

      const signedOut = await createUserAgent().request(url);
      expect(signedOut.status).to.equal(401);
      const crossSite = await fetch(url, {
        headers: {
          cookie: [...alice.jar].map(([k, v]) => `${k}=${v}`).join('; '),
          'sec-fetch-site': 'cross-site',
        },
      });
      expect(crossSite.status).to.equal(403);
    });

    it('renders an app name, model and grant id an attacker chose inert', async () => {
      const hostile = await as.addClient({ name: `${scriptName}${attrBreakout}` });
      const aliceId = (await as.stores.accounts.findByUsername('alice'))?.id as string;
      const id = `g-${attrBreakout}`;
      await as.stores.grants.record({
        id,
        accountId: aliceId,
        clientId: hostile.clientId,
        scopes: [SCOPE],
        expiresAt: NOW + 24 * 3600_000,
      });
      await insertUsage(as.database.db, { id, accountId: aliceId, clientId: hostile.clientId }, [
        { createdAt: NOW, model: attrBreakout, capability: scriptName },
      ]);
      for (const path of ['/account', `/account/apps/${encodeURIComponent(id)}`]) {
        const page = await alice.request(`${as.issuer}${path}`);
        expect(page.status, path).to.equal(200);
        assertPage(page.body, csrfOf(page.body));
        expect(page.body).to.not.include(scriptName).and.not.include(attrBreakout);
        expect(find(page.body, 'img')).to.have.length(0);
      }
      const json = await alice.request(`${as.issuer}/account/api/grants/${encodeURIComponent(id)}/usage`);
      expect(JSON.parse(json.body).app_name).to.equal(`${scriptName}${attrBreakout}`);
    });

    it('Revoke on the app page ends the grant; the page then shows its history, with no forms', async () => {
      const appPage = await alice.request(`${as.issuer}${appPath}`);
      const page = await alice.request(
        linkTo(appPage.body, appPage.url, `/account/grants/${grantId}/revoke`),
      );
      const revoked = await alice.request(
        formAction(page.body, page.url, `/account/grants/${grantId}/revoke`),
        {
          form: { csrf: csrfOf(page.body) },
        },
      );
      const list = await seeOther(alice, revoked);
      expect(list.url).to.equal(`${as.issuer}/account?revoked=${encodeURIComponent(grantId)}`);
      expect(list.body).to.include('Writer can no longer use your accounts.');
      const events = await as.stores.grantEvents.forGrant(grantId);
      expect(events.map((e) => [e.kind, e.detail])).to.deep.include(['revoked', { reason: 'account_page' }]);

      const after = await alice.request(`${as.issuer}${appPath}`);
      expect(after.status).to.equal(200);
      assertPage(after.body, csrfOf(after.body));
      expect(after.body).to.include('(revoked)');
      expect(after.body).to.include('Access revoked on the account page.');
      expect(find(after.body, 'form').map((f) => f.attrs.get('action'))).to.deep.equal(['/account/logout']);
      const refused = await lower(alice, { max_requests: '1' }, csrfOf(after.body)).catch((e: Error) => e);
      // No form to post any more.
      expect(refused).to.be.instanceOf(Error).with.property('message').that.includes('no form with action');
      const posted = await alice.request(`${as.issuer}${appPath}/limits`, {
        form: {
          csrf: csrfOf(after.body),
          max_requests: '1',
          max_spend_usd: '2.5',
          max_tokens: '50000',
          requests_per_minute: '60',
        },
      });
      expect(posted.status).to.equal(409);
      expect(posted.body).to.include(
        escapeHtml("This app's access has ended: its limits can no longer change."),
      );
    });
  });
}
