import { expect } from 'chai';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { describeGrantEvent } from '../../../src/usage/describe-grant-event.ts';
import { engines } from '../../support/databases.ts';
import {
  type AuthorizeOptions,
  authorize,
  consent,
  discover,
  exchange,
  oauthErrorOf,
  replacesOf,
  signInAndReachConsent,
  startAuthorization,
} from '../../support/oauth-flow.ts';
import { captureProviderNotices } from '../../support/provider-notices.ts';
import { type RunningAs, startAuthorizationServer } from '../../support/start-authorization-server.ts';
import { createUserAgent, csrfOf, formAction, type Hop } from '../../support/user-agent.ts';
import { assertPage, find, textOf } from '../../unit/as/views/html-checks.ts';

const FIRST_SCOPE = 'openai:gpt-4o-mini:chat';
const FIRST_ASKED = [
  {
    type: 'ai_access',
    provider: 'openai',
    limits: { max_requests: 1000, max_spend_usd: 5, period: 'month', requests_per_minute: 60 },
  },
];
const SECOND_SCOPE = 'openai:gpt-4o-mini:chat anthropic:*:chat';
const SECOND_ASKED = [{ type: 'ai_access', provider: 'openai', limits: { max_requests: 200 } }];
const DAY = 86_400;

/** The consent page's comparison table, row by row: [row header, ...cells] in plain text. */
function termsTable(page: string): string[][] {
  const start = page.indexOf('<table class="figures terms">');
  expect(start, 'a terms table').to.be.at.least(0);
  const table = page.slice(start, page.indexOf('</table>', start));
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...(row[1] as string).matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) =>
      (cell[1] as string)
        .replace(/<[^>]*>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim(),
    ),
  );
}

/*
 * Re-authorizing an app the person already allowed: the consent page shows the current
 * terms beside the new ask and says Allow replaces them; Allow revokes every earlier
 * grant of the person to that app (tokens, proxies, audit trail), Deny keeps them.
 */
for (const engine of engines) {
  describe(`re-authorizing an app replaces its grant (${engine})`, () => {
    let as: RunningAs;
    let app: { clientId: string; redirectUri: string };
    let proxy: oidc.Configuration;
    let notices: ReturnType<typeof captureProviderNotices>;

    before(async () => {
      notices = captureProviderNotices();
      as = await startAuthorizationServer(engine);
      await as.addUser('alice', 'correct horse battery');
      await as.addUser('bob', 'correct horse battery');
      proxy = await discover(as, as.proxyClient.id, as.proxyClient.secret);
    });
    after(async () => {
      notices.restore();
      await as.close();
    });

    const first = (redirectUri: string): AuthorizeOptions => ({
      redirectUri,
      scope: FIRST_SCOPE,
      extraParams: { authorization_details: JSON.stringify(FIRST_ASKED) },
      duration: 7 * DAY,
      limits: { 'limit-openai-max_requests': '800' },
    });
    const second = (redirectUri: string): AuthorizeOptions => ({
      redirectUri,
      scope: SECOND_SCOPE,
      extraParams: { authorization_details: JSON.stringify(SECOND_ASKED) },
      duration: 30 * DAY,
    });

    /** A new app, allowed once by alice: its config and the first grant's tokens. */
    async function allowedOnce(name: string) {
      app = await as.addClient({ name });
      const config = await discover(as, app.clientId);
      const tokens = await exchange(await authorize(config, as, createUserAgent(), first(app.redirectUri)));
      const grantId = decodeJwt(tokens.access_token).grant_id as string;
      return { config, tokens, grantId };
    }

    async function secondConsentPage(config: oidc.Configuration, username = 'alice') {
      const ua = createUserAgent();
      const opts = { ...second(app.redirectUri), username };
      const started = await startAuthorization(config, as, opts);
      const page = await signInAndReachConsent(ua, started.url.toString(), opts);
      expect(page.status, page.body.slice(0, 300)).to.equal(200);
      return { ua, page, opts, started };
    }

    it('the consent page shows the current terms beside the new ask, and says Allow replaces them', async () => {
      const { config, grantId } = await allowedOnce('Writer');
      const old = await as.stores.grants.find(grantId);
      const { page } = await secondConsentPage(config);
      assertPage(page.body, csrfOf(page.body));
      expect(textOf(page.body, /<h2 id="current-access-heading">/)).to.equal('You already allowed Writer');
      expect(textOf(page.body, /<div class="alert alert-warning" id="replace-warning">/)).to.equal(
        'Allow replaces the access Writer has now. The current access stops working at once, with every token the app holds for it; only what you allow on this page remains. Nothing is merged. Deny keeps the current access as it is.',
      );
      const allowedAt = new Date(old?.createdAt as number).toISOString();
      const until = new Date(old?.expiresAt as number).toISOString();
      const stamp = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
      expect(termsTable(page.body)).to.deep.equal([
        ['Terms', `Now, allowed ${stamp(allowedAt)}`, 'Asked now'],
        [
          'Can use',
          `Chat with GPT-4o mini ${FIRST_SCOPE}`,
          `Chat with GPT-4o mini openai:gpt-4o-mini:chat Chat with any Anthropic model anthropic:*:chat`,
        ],
        [
          'Limits',
          'at most 800 requests, $5.00 each calendar month; 60 requests per minute',
          'OpenAI: at most 200 requests in total',
        ],
        ['Until', stamp(until), 'You choose below'],
      ]);
      expect(page.body).to.include(`<time datetime="${until}">`);
      expect(replacesOf(page.body)).to.deep.equal([grantId]);
      // Both buttons say what they do to the current access, and point at the warning.
      const buttons = find(page.body, 'button');
      expect(buttons.map((b) => b.attrs.get('aria-describedby'))).to.deep.equal([
        'replace-warning',
        'replace-warning',
      ]);
      expect(page.body).to.include('>Allow and replace current access</button>');
      expect(page.body).to.include('>Deny and keep current access</button>');
    });

    it('another person, or a first authorization, sees no replacement notice', async () => {
      const { config } = await allowedOnce('Reader');
      const { page } = await secondConsentPage(config, 'bob');
      expect(page.body).to.not.include('current-access-heading');
      expect(page.body).to.not.include('name="replaces"');
      expect(page.body).to.include('>Allow</button>');
    });

    it('Allow replaces the grant: old tokens refused, grants row revoked as reauthorized, events recorded', async () => {
      const { config, tokens: old, grantId: oldId } = await allowedOnce('Painter');
      const seqBefore = await as.stores.revocations.lastSeq();
      const { ua, page, opts, started } = await secondConsentPage(config);
      const done = await consent(ua, page, opts);
      expect(done.location?.startsWith(app.redirectUri)).to.equal(true);
      const fresh = await exchange({
        config,
        callbackUrl: new URL(done.location as string),
        verifier: started.verifier,
        state: started.state,
      });
      const newId = decodeJwt(fresh.access_token).grant_id as string;
      expect(newId).to.not.equal(oldId);

      // The old grant's tokens are dead at once; the new ones work.
      expect((await oidc.tokenIntrospection(proxy, old.refresh_token as string)).active).to.equal(false);
      expect((await oidc.tokenIntrospection(proxy, old.access_token)).active).to.equal(false);
      expect(
        (await oauthErrorOf(oidc.refreshTokenGrant(config, old.refresh_token as string))).error,
      ).to.equal('invalid_grant');
      expect((await oidc.tokenIntrospection(proxy, fresh.access_token)).active).to.equal(true);
      expect((await oidc.tokenIntrospection(proxy, fresh.refresh_token as string)).active).to.equal(true);

      // Mandate's rows: the old one revoked as reauthorized, the new one on the new terms only.
      const oldRow = await as.stores.grants.find(oldId);
      expect(oldRow?.revokedReason).to.equal('reauthorized');
      expect(oldRow?.revokedAt).to.be.a('number');
      const newRow = await as.stores.grants.find(newId);
      expect(newRow?.scopes).to.have.members(SECOND_SCOPE.split(' '));
      expect(newRow?.limits).to.deep.equal({
        // OpenAI's cap is its own (Anthropic has none); the grant as a whole has none.
        maxRequests: null,
        maxTokens: null,
        maxSpendMicroUsd: null,
        limitPeriod: 'lifetime',
        requestsPerMinute: null,
        providers: {
          openai: { maxRequests: 200, maxTokens: null, maxSpendMicroUsd: null, requestsPerMinute: null },
        },
      });
      expect(fresh.authorization_details).to.deep.equal([
        { type: 'ai_access', provider: 'openai', limits: { max_requests: 200, period: 'lifetime' } },
      ]);
      expect(
        (await as.stores.grants.list({ accountId: oldRow?.accountId, clientId: app.clientId })).map(
          (g) => g.id,
        ),
      ).to.deep.equal([newId]);

      // Every proxy learns it from the revocation log.
      const log = await as.stores.revocations.readLog(seqBefore);
      expect(log.map((e) => [e.kind, e.subjectId, e.reason])).to.deep.equal([
        ['grant', oldId, 'reauthorized'],
      ]);

      // The audit trail: the old grant says what replaced it, the new one what it replaced.
      const oldEvents = await as.stores.grantEvents.forGrant(oldId);
      expect(oldEvents.map((e) => e.kind)).to.deep.equal(['approved', 'revoked']);
      expect(oldEvents[1]?.detail).to.deep.equal({ reason: 'reauthorized', replacedBy: newId });
      expect(describeGrantEvent(oldEvents[1] as (typeof oldEvents)[number])).to.equal(
        'Access revoked because the app was allowed again: the new terms replace these.',
      );
      const newEvents = await as.stores.grantEvents.forGrant(newId);
      expect(newEvents.map((e) => e.kind)).to.deep.equal(['approved', 'reauthorized']);
      const reauthorized = newEvents[1];
      expect(reauthorized?.detail).to.deep.equal({
        replaced: [
          { grantId: oldId, scopes: oldRow?.scopes, limits: oldRow?.limits, expiresAt: oldRow?.expiresAt },
        ],
        scopes: newRow?.scopes,
        limits: newRow?.limits,
        expiresAt: newRow?.expiresAt,
      });
      const text = describeGrantEvent(reauthorized as (typeof newEvents)[number]);
      expect(text).to.match(
        /^Allowed again, replacing the earlier terms: access to .*anthropic:\*:chat; OpenAI: at most 200 requests in total; until /,
      );
      expect(text).to.include(
        'Before: access to openai:gpt-4o-mini:chat; at most 800 requests, $5.00 each calendar month; 60 requests per minute; until ',
      );
    });

    it('Deny keeps the current grant exactly as it was', async () => {
      const { config, tokens: old, grantId: oldId } = await allowedOnce('Translator');
      const rowsBefore = await as.stores.grants.list({ includeEnded: true });
      const seqBefore = await as.stores.revocations.lastSeq();
      const { ua, page, opts } = await secondConsentPage(config);
      const done = await consent(ua, page, { ...opts, decision: 'deny' });
      expect(new URL(done.location as string).searchParams.get('error')).to.equal('access_denied');

      expect((await oidc.tokenIntrospection(proxy, old.access_token)).active).to.equal(true);
      expect((await oidc.tokenIntrospection(proxy, old.refresh_token as string)).active).to.equal(true);
      const refreshed = await oidc.refreshTokenGrant(config, old.refresh_token as string);
      expect(decodeJwt(refreshed.access_token).grant_id).to.equal(oldId);
      expect((await as.stores.grants.find(oldId))?.revokedAt).to.equal(null);
      expect(await as.stores.grants.list({ includeEnded: true })).to.deep.equal(rowsBefore);
      expect(await as.stores.revocations.lastSeq()).to.equal(seqBefore);
      expect((await as.stores.grantEvents.forGrant(oldId)).map((e) => e.kind)).to.deep.equal(['approved']);
    });

    it('access that changed while the page was open is shown before anything is replaced', async () => {
      app = await as.addClient({ name: 'Summarizer' });
      const config = await discover(as, app.clientId);
      // The page opens while the app has no access yet...
      const { ua, page, opts } = await secondConsentPage(config);
      expect(replacesOf(page.body)).to.deep.equal([]);
      // ...and another tab allows it meanwhile.
      const other = await exchange(await authorize(config, as, createUserAgent(), first(app.redirectUri)));
      const otherId = decodeJwt(other.access_token).grant_id as string;

      const stale = await ua.request(formAction(page.body, page.url, '/consent'), {
        form: {
          csrf: csrfOf(page.body),
          scope: SECOND_SCOPE.split(' '),
          duration: String(30 * DAY),
          'limit-openai-max_requests': '200',
          period: 'lifetime',
          decision: 'allow',
        },
      });
      expect(stale.status).to.equal(409);
      expect(stale.body).to.include(
        'What Summarizer can use changed while this page was open (it was allowed or revoked elsewhere).',
      );
      expect(replacesOf(stale.body)).to.deep.equal([otherId]);
      expect((await as.stores.grants.find(otherId))?.revokedAt).to.equal(null);

      // The page shown again now says what Allow replaces; allowing from it does.
      const again: Hop = { ...stale, url: page.url };
      const done = await consent(ua, again, opts);
      expect(done.location?.startsWith(app.redirectUri)).to.equal(true);
      expect((await as.stores.grants.find(otherId))?.revokedReason).to.equal('reauthorized');
    });

    it('every earlier live grant of the person to the app is shown and replaced', async () => {
      const { config, grantId: oldId } = await allowedOnce('Planner');
      const old = await as.stores.grants.find(oldId);
      // A second live grant, as an older install could have left.
      await as.stores.grants.record({
        id: 'legacy-grant-planner',
        accountId: old?.accountId as string,
        clientId: app.clientId,
        scopes: ['openai:gpt-4o-mini:chat'],
        expiresAt: Date.now() + DAY * 1000,
      });
      const { ua, page, opts } = await secondConsentPage(config);
      expect(replacesOf(page.body)).to.have.members([oldId, 'legacy-grant-planner']);
      const header = termsTable(page.body)[0] ?? [];
      expect(header).to.have.length(4);
      expect(header[1]).to.match(/^Now \(1 of 2\), allowed /);
      expect(page.body).to.include('The current grants stop working at once');
      await consent(ua, page, opts);
      for (const id of [oldId, 'legacy-grant-planner'])
        expect((await as.stores.grants.find(id))?.revokedReason, id).to.equal('reauthorized');
      const [newId] = (await as.stores.grants.list({ clientId: app.clientId })).map((g) => g.id);
      const events = await as.stores.grantEvents.forGrant(newId as string);
      expect(
        ((events[1]?.detail.replaced ?? []) as Array<{ grantId: string }>).map((r) => r.grantId),
      ).to.have.members([oldId, 'legacy-grant-planner']);
    });

    it('prints no oidc-provider WARNING or NOTICE along the way', () => {
      expect(notices.seen).to.deep.equal([]);
    });
  });
}
