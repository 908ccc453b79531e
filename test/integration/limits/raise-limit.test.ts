import { expect } from 'chai';
import { decodeJwt } from 'jose';
import OpenAI from 'openai';
import { engines } from '../../support/databases.ts';
import { settledLedger } from '../../support/ledger-reads.ts';
import { grantIdOf, grantStoreOf } from '../../support/limited-grant.ts';
import {
  type AuthorizeOptions,
  authorize,
  exchange,
  signInAndReachConsent,
  startAuthorization,
} from '../../support/oauth-flow.ts';
import type { ProxyFixture } from '../../support/proxy-fixture.ts';
import { proxyFixtureHooks } from '../../support/proxy-fixture-hooks.ts';
import { HI_CHAT, ROUND_PRICES } from '../../support/round-prices.ts';
import { createUserAgent, csrfOf, formAction } from '../../support/user-agent.ts';

/** The auth-params of the proxy's `x-mandate-raise-limit` header. */
function raiseHintOf(header: string | null | undefined): Record<string, string> {
  return Object.fromEntries([...(header ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

/**
 * Asking the person for more: a cap refusal says which grant and limit, the app sends
 * the person a raise request (`grant_id` + `authorization_details` asking for more),
 * and only what the person approves on the raise page changes, on the same grant, so
 * what was used stays counted.
 */
for (const engine of engines) {
  describe(`raising a limit with the person's approval (${engine})`, function () {
    this.timeout(60_000);
    let fx: ProxyFixture;

    proxyFixtureHooks(engine, { prices: ROUND_PRICES }, (started) => {
      fx = started;
    });

    const openai = (token: string) =>
      new OpenAI({ apiKey: token, baseURL: fx.proxy.openaiBaseURL, maxRetries: 0 });
    /** One chat request: true when served, else the refusal's status, code and raise hint. */
    async function chat(token: string) {
      try {
        await openai(token).chat.completions.create(HI_CHAT);
        return { ok: true as const };
      } catch (err) {
        const e = err as { status?: number; headers?: Headers; error?: { code?: string } };
        return {
          ok: false as const,
          status: e.status,
          code: e.error?.code,
          hint: raiseHintOf(e.headers?.get('x-mandate-raise-limit')),
        };
      }
    }
    const base = (): AuthorizeOptions => ({
      redirectUri: fx.client.redirectUri,
      scope: 'openai:*:chat',
      username: fx.username,
      password: fx.password,
    });
    const asking = (limits: Record<string, unknown>) =>
      JSON.stringify([{ type: 'ai_access', provider: 'openai', limits }]);

    /** A grant capped at `maxRequests` OpenAI requests, approved on the consent page. */
    async function cappedGrant(maxRequests: number) {
      const tokens = await exchange(
        await authorize(fx.oidc, fx.as, createUserAgent(), {
          ...base(),
          extraParams: { authorization_details: asking({ max_requests: maxRequests }) },
          period: 'lifetime',
        }),
      );
      return { token: tokens.access_token, grantId: grantIdOf(tokens.access_token) };
    }
    /** Starts a raise request for `grantId` and returns the page the person sees (after signing in). */
    async function raisePage(
      grantId: string,
      limits: Record<string, unknown>,
      extra: Record<string, string> = {},
    ) {
      const opts = {
        ...base(),
        extraParams: {
          grant_id: grantId,
          grant_management_action: 'update',
          authorization_details: asking(limits),
          ...extra,
        },
      };
      const ua = createUserAgent();
      const started = await startAuthorization(fx.oidc, fx.as, opts);
      const page = await signInAndReachConsent(ua, started.url.toString(), opts);
      return { ua, page, opts };
    }
    const post = (
      ua: ReturnType<typeof createUserAgent>,
      page: { body: string; url: string },
      form: Record<string, string>,
    ) =>
      ua.request(formAction(page.body, page.url, '/consent'), { form: { csrf: csrfOf(page.body), ...form } });
    const limitsOf = async (grantId: string) => (await grantStoreOf(fx).find(grantId))?.limits;

    it('the refusal names the grant and limit; the person raises 2 → 4 for the same grant; what was used stays counted', async () => {
      const since = fx.upstream.requests.length;
      const { token, grantId } = await cappedGrant(2);
      expect((await chat(token)).ok).to.equal(true);
      expect((await chat(token)).ok).to.equal(true);
      const refused = await chat(token);
      expect(refused).to.deep.include({ ok: false, status: 403, code: 'limit_reached' });
      expect(refused.ok === false && refused.hint).to.deep.equal({
        grant_id: grantId,
        provider: 'openai',
        limit: 'max_requests',
        value: '2',
      });

      // The app asks for 5 with the hint's grant; the person allows 4.
      const raised = await exchange(
        await authorize(fx.oidc, fx.as, createUserAgent(), {
          ...base(),
          extraParams: {
            grant_id: grantId,
            grant_management_action: 'update',
            authorization_details: asking({ max_requests: 5 }),
          },
          limits: { 'limit-openai-max_requests': '4' },
        }),
      );
      expect(grantIdOf(raised.access_token)).to.equal(grantId);
      expect(decodeJwt(raised.access_token).authorization_details).to.deep.equal([
        { type: 'ai_access', provider: 'openai', limits: { max_requests: 4, period: 'lifetime' } },
      ]);
      // Both the old token and the new one see 4; the 2 used still count: 2 more, not 4.
      expect((await chat(token)).ok).to.equal(true);
      expect((await chat(raised.access_token)).ok).to.equal(true);
      const again = await chat(raised.access_token);
      expect(again).to.deep.include({ ok: false, status: 403, code: 'limit_reached' });
      expect(again.ok === false && again.hint.value).to.equal('4');
      const ledger = Object.fromEntries(
        (await settledLedger(fx, grantId)).map((e) => [e.scope, e.charged.requests]),
      );
      expect(ledger).to.deep.equal({ '*': 4, openai: 4 });
      expect(
        fx.upstream.requests.slice(since).filter((r) => r.route === '/v1/chat/completions'),
      ).to.have.length(4);

      // The audit trail says who raised what.
      const events = await fx.as.stores.grantEvents.forGrant(grantId);
      const raisedEvent = events.find((e) => e.kind === 'raised');
      expect(raisedEvent?.detail).to.deep.include({ by: 'raise_request' });
      expect(raisedEvent?.detail.providers).to.deep.equal({
        openai: { from: { maxRequests: 2 }, to: { maxRequests: 4 } },
      });
    });

    it('the raise page shows the limit now, what was used and what the app asks; Keep changes nothing', async () => {
      const { token, grantId } = await cappedGrant(2);
      await chat(token);
      const before = await limitsOf(grantId);
      const { ua, page } = await raisePage(grantId, { max_requests: 10 });
      expect(page.status).to.equal(200);
      expect(page.body).to.include('asks for higher limits');
      expect(page.body).to.match(
        /Now 2 requests, of which 1 request used\. Writer asks for up to 10 requests\./,
      );
      expect(page.body).to.not.include('name="scope"');
      const kept = await post(ua, page, { 'limit-openai-max_requests': '10', decision: 'deny' });
      expect(kept.status).to.equal(303);
      const back = await ua.follow(kept.location as string, fx.client.redirectUri);
      expect(new URL(back.location as string).searchParams.get('error')).to.equal('access_denied');
      expect(await limitsOf(grantId)).to.deep.equal(before);
    });

    it('more than asked, less than now, or a string are refused on the page with nothing changed', async () => {
      const { grantId } = await cappedGrant(3);
      const before = await limitsOf(grantId);
      const { ua, page } = await raisePage(grantId, { max_requests: 10 });
      for (const [value, words] of [
        ['11', 'can be at most what the app asked for'],
        ['2', 'cannot be lowered here'],
        ['ten', 'must be a whole number of at least 1'],
        ['', 'must be a whole number of at least 1'],
      ] as const) {
        const res = await post(ua, page, { 'limit-openai-max_requests': value, decision: 'allow' });
        expect(res.status, value).to.equal(400);
        expect(res.body).to.include(words);
        expect(res.body).to.include('id="error-summary"');
        expect(res.body).to.include('href="#raise-limit-openai-max_requests"');
      }
      // Two values for one field: the first is read, as every form here does; still bounded.
      const twice = await ua.request(formAction(page.body, page.url, '/consent'), {
        form: { csrf: csrfOf(page.body), 'limit-openai-max_requests': ['99', '5'], decision: 'allow' },
      });
      expect(twice.status).to.equal(400);
      expect(await limitsOf(grantId)).to.deep.equal(before);
    });

    it('another person, another app’s grant, a revoked grant, or more permissions than the grant has: back to the app with invalid_request', async () => {
      const { grantId } = await cappedGrant(2);
      await fx.as.addUser('bob', 'bob password here');
      const asBob = { ...base(), username: 'bob', password: 'bob password here' };
      const errorOf = async (opts: AuthorizeOptions) => {
        const ua = createUserAgent();
        const started = await startAuthorization(fx.oidc, fx.as, opts);
        const page = await signInAndReachConsent(ua, started.url.toString(), opts);
        const to = new URL((page.location ?? page.url) as string);
        return { error: to.searchParams.get('error'), description: to.searchParams.get('error_description') };
      };
      const raiseParams = { grant_id: grantId, authorization_details: asking({ max_requests: 9 }) };
      expect(await errorOf({ ...asBob, extraParams: raiseParams })).to.deep.equal({
        error: 'invalid_request',
        description: 'grant_id names no live access the signed-in person gave this app',
      });
      expect(
        await errorOf({
          ...base(),
          scope: 'openai:*:chat anthropic:*:chat',
          extraParams: raiseParams,
        }),
      ).to.deep.include({ error: 'invalid_request' });
      expect(await errorOf({ ...base(), extraParams: { ...raiseParams, grant_id: 'nope' } })).to.deep.include(
        {
          error: 'invalid_request',
        },
      );
      // Another app's grant of the same person, named by this app.
      const other = await fx.addApp('Other');
      const otherGrant = grantIdOf((await other.grant('openai:*:chat')).accessToken);
      expect(
        await errorOf({ ...base(), extraParams: { ...raiseParams, grant_id: otherGrant } }),
      ).to.deep.equal({
        error: 'invalid_request',
        description: 'grant_id names no live access the signed-in person gave this app',
      });
      await fx.as.stores.revocations.revokeGrant(grantId, 'account_page');
      expect(await errorOf({ ...base(), extraParams: raiseParams })).to.deep.include({
        error: 'invalid_request',
      });
    });

    it('the authorization endpoint refuses a raise without details, another action, or a limit sent as a string', async () => {
      const { grantId } = await cappedGrant(2);
      const refusal = async (extra: Record<string, string>) => {
        const started = await startAuthorization(fx.oidc, fx.as, { ...base(), extraParams: extra });
        const hop = await createUserAgent().request(started.url.toString());
        const to = new URL(hop.location as string);
        return to.searchParams.get('error');
      };
      expect(await refusal({ grant_id: grantId })).to.equal('invalid_request');
      expect(
        await refusal({
          grant_id: grantId,
          grant_management_action: 'replace',
          authorization_details: asking({ max_requests: 3 }),
        }),
      ).to.equal('invalid_request');
      expect(await refusal({ grant_management_action: 'update' })).to.equal('invalid_request');
      expect(
        await refusal({ grant_id: grantId, authorization_details: asking({ max_requests: '9' }) }),
      ).to.equal('invalid_authorization_details');
    });

    it('a spend cap: the hint says dollars, the raise holds at the new cap', async () => {
      const tokens = await exchange(
        await authorize(fx.oidc, fx.as, createUserAgent(), {
          ...base(),
          extraParams: { authorization_details: asking({ max_spend_usd: 0.0003 }) },
          period: 'lifetime',
        }),
      );
      const token = tokens.access_token;
      const grantId = grantIdOf(token);
      let refused: Awaited<ReturnType<typeof chat>> = { ok: true };
      for (let i = 0; i < 50 && refused.ok; i++) refused = await chat(token);
      expect(refused).to.deep.include({ ok: false, status: 403, code: 'limit_reached' });
      expect(refused.ok === false && refused.hint).to.deep.include({
        limit: 'max_spend_usd',
        value: '0.0003',
      });
      await exchange(
        await authorize(fx.oidc, fx.as, createUserAgent(), {
          ...base(),
          extraParams: { grant_id: grantId, authorization_details: asking({ max_spend_usd: 0.0006 }) },
        }),
      );
      expect((await limitsOf(grantId))?.providers?.openai?.maxSpendMicroUsd).to.equal(600);
      expect((await chat(token)).ok).to.equal(true);
    });
  });
}
