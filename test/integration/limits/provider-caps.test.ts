import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import OpenAI from 'openai';
import type { LowerLimits } from '../../../src/storage/grant-store.ts';
import { engines } from '../../support/databases.ts';
import { settledLedger } from '../../support/ledger-reads.ts';
import { grantIdOf, grantStoreOf, lowerLimits } from '../../support/limited-grant.ts';
import { authorize, exchange } from '../../support/oauth-flow.ts';
import type { ProxyFixture } from '../../support/proxy-fixture.ts';
import { proxyFixtureHooks } from '../../support/proxy-fixture-hooks.ts';
import { HI_CHAT, HI_MESSAGE, ROUND_PRICES } from '../../support/round-prices.ts';
import { createUserAgent } from '../../support/user-agent.ts';

type Outcome =
  | { ok: true }
  | { ok: false; status: number | undefined; code: string | undefined; message: string };

/**
 * Per-provider caps and the one ledger, end to end through the real flow and both SDKs:
 * a provider's cap counts that provider's requests only, and a cap added or lowered
 * later counts what the period used so far.
 */
for (const engine of engines) {
  describe(`per-provider caps and the one ledger (${engine})`, function () {
    this.timeout(60_000);
    let fx: ProxyFixture;

    proxyFixtureHooks(engine, { prices: ROUND_PRICES }, (started) => {
      fx = started;
    });

    /** A grant of both providers through the real flow, its limits lowered when given. */
    async function grant(limits?: LowerLimits) {
      const { accessToken } = await fx.grant('openai:*:chat anthropic:*:chat');
      const grantId = grantIdOf(accessToken);
      if (limits) await lowerLimits(fx, grantId, limits);
      return { token: accessToken, grantId };
    }

    const openai = (token: string) =>
      new OpenAI({ apiKey: token, baseURL: fx.proxy.openaiBaseURL, maxRetries: 0 });
    const anthropic = (token: string) =>
      new Anthropic({ apiKey: token, baseURL: fx.proxy.anthropicBaseURL, maxRetries: 0 });
    /**
     * What one request ends as, retrying a 429 `limit_busy` after its `retry-after-ms` as the
     * SDKs do by default: the previous request's settle may still be in flight when a
     * sequential client already sends the next one.
     */
    const outcome = async (send: () => Promise<unknown>): Promise<Outcome> => {
      for (let attempt = 0; ; attempt++) {
        try {
          await send();
          return { ok: true };
        } catch (err) {
          const e = err as {
            status?: number;
            headers?: Headers;
            error?: { code?: string; error?: { type?: string } };
            message: string;
          };
          const busy = e.status === 429 && /limit_busy|in flight/.test(`${e.error?.code} ${e.message}`);
          if (busy && attempt < 3) {
            await new Promise((r) => setTimeout(r, Number(e.headers?.get('retry-after-ms') ?? 100)));
            continue;
          }
          return {
            ok: false,
            status: e.status,
            code: e.error?.code ?? e.error?.error?.type,
            message: e.message,
          };
        }
      }
    };
    const chat = (token: string) => outcome(() => openai(token).chat.completions.create(HI_CHAT));
    const message = (token: string) => outcome(() => anthropic(token).messages.create(HI_MESSAGE));
    const ledger = (grantId: string) => settledLedger(fx, grantId);
    const requestsOf = async (grantId: string) =>
      Object.fromEntries((await ledger(grantId)).map((e) => [e.scope, e.charged.requests]));

    it('OpenAI capped at 2 beside an uncapped Anthropic scope: the 3rd OpenAI request is refused, Anthropic keeps serving', async () => {
      const { token, grantId } = await grant({ providers: { openai: { maxRequests: 2 } } });
      expect((await chat(token)).ok).to.equal(true);
      expect((await chat(token)).ok).to.equal(true);
      const refused = await chat(token);
      expect(refused).to.deep.include({ ok: false, status: 403, code: 'limit_reached' });
      expect((refused as { message: string }).message).to.include(
        'the OpenAI request limit (max_requests = 2)',
      );
      for (let i = 0; i < 3; i++) expect((await message(token)).ok, `anthropic ${i}`).to.equal(true);
      expect(await requestsOf(grantId)).to.deep.equal({ '*': 5, openai: 2, anthropic: 3 });
    });

    it('approved on the consent page: "OpenAI: most requests 2" beside Anthropic without limits holds at 2', async () => {
      const asked = [{ type: 'ai_access', provider: 'openai', limits: { max_requests: 2 } }];
      const tokens = await exchange(
        await authorize(fx.oidc, fx.as, createUserAgent(), {
          redirectUri: fx.client.redirectUri,
          scope: 'openai:*:chat anthropic:*:chat',
          username: fx.username,
          password: fx.password,
          extraParams: { authorization_details: JSON.stringify(asked) },
          limits: { 'limit-openai-max_requests': '2' },
          period: 'lifetime',
        }),
      );
      const token = tokens.access_token;
      expect(decodeJwt(token).authorization_details).to.deep.equal([
        { type: 'ai_access', provider: 'openai', limits: { max_requests: 2, period: 'lifetime' } },
      ]);
      expect([(await chat(token)).ok, (await chat(token)).ok]).to.deep.equal([true, true]);
      expect(await chat(token)).to.deep.include({ ok: false, status: 403, code: 'limit_reached' });
      for (let i = 0; i < 3; i++) expect((await message(token)).ok, `anthropic ${i}`).to.equal(true);
    });

    it('2 on each provider: 2 each, never 4 for one', async () => {
      const { token } = await grant({
        providers: { openai: { maxRequests: 2 }, anthropic: { maxRequests: 2 } },
      });
      const openaiOutcomes = [await chat(token), await chat(token), await chat(token), await chat(token)];
      expect(openaiOutcomes.map((o) => o.ok)).to.deep.equal([true, true, false, false]);
      const anthropicOutcomes = [await message(token), await message(token), await message(token)];
      expect(anthropicOutcomes.map((o) => o.ok)).to.deep.equal([true, true, false]);
      expect(anthropicOutcomes[2]).to.deep.include({ status: 403, code: 'permission_error' });
    });

    it('the whole grant and a provider both bind: a whole-grant cap of 3 with OpenAI at 2', async () => {
      const { token } = await grant({ maxRequests: 3, providers: { openai: { maxRequests: 2 } } });
      expect([(await chat(token)).ok, (await chat(token)).ok, (await chat(token)).ok]).to.deep.equal([
        true,
        true,
        false,
      ]);
      expect((await message(token)).ok).to.equal(true);
      const whole = await message(token);
      expect(whole).to.deep.include({ ok: false, status: 403 });
      expect((whole as { message: string }).message).to.include(
        'the request limit (max_requests = 3) of this grant',
      );
    });

    it('a cap added after usage counts it: 2 used, lowered to 3, exactly 1 more is served', async () => {
      const { token, grantId } = await grant();
      expect((await chat(token)).ok).to.equal(true);
      expect((await message(token)).ok).to.equal(true);
      // The uncapped requests are in the ledger once their usage records are stored.
      expect(await requestsOf(grantId)).to.deep.equal({ '*': 2, openai: 1, anthropic: 1 });
      await lowerLimits(fx, grantId, { maxRequests: 3 });
      expect((await chat(token)).ok).to.equal(true);
      expect(await chat(token)).to.deep.include({ ok: false, status: 403, code: 'limit_reached' });
      expect(await message(token)).to.deep.include({ ok: false, status: 403 });
      expect(await requestsOf(grantId)).to.deep.equal({ '*': 3, openai: 2, anthropic: 1 });
    });

    it('a provider cap added after usage counts that provider only', async () => {
      const { token, grantId } = await grant();
      expect((await chat(token)).ok).to.equal(true);
      expect((await chat(token)).ok).to.equal(true);
      expect((await message(token)).ok).to.equal(true);
      await requestsOf(grantId);
      await lowerLimits(fx, grantId, {
        providers: { openai: { maxRequests: 2 }, anthropic: { maxRequests: 2 } },
      });
      expect(await chat(token)).to.deep.include({ ok: false, status: 403, code: 'limit_reached' });
      expect((await message(token)).ok).to.equal(true);
      expect(await message(token)).to.deep.include({ ok: false, status: 403 });
    });

    it('a spend cap set below what was already spent refuses at once, and nothing is forwarded', async () => {
      const { token, grantId } = await grant();
      for (let i = 0; i < 3; i++) expect((await chat(token)).ok).to.equal(true);
      const spent = (await ledger(grantId)).find((e) => e.scope === '*')?.charged.microUsd ?? 0;
      expect(spent).to.be.greaterThan(2);
      await lowerLimits(fx, grantId, { maxSpendMicroUsd: Math.floor(spent / 2) });
      const before = fx.upstream.requests.length;
      const refused = await chat(token);
      expect(refused).to.deep.include({ ok: false, status: 403, code: 'limit_reached' });
      expect((refused as { message: string }).message).to.include('spend limit');
      expect(fx.upstream.requests.length).to.equal(before);
      const after = (await ledger(grantId)).find((e) => e.scope === '*')?.charged.microUsd;
      expect(after).to.equal(spent);
    });

    it("a provider's per-minute limit counts that provider's requests only", async () => {
      const { token } = await grant({ providers: { openai: { requestsPerMinute: 2 } } });
      expect([(await chat(token)).ok, (await chat(token)).ok]).to.deep.equal([true, true]);
      expect(await chat(token)).to.deep.include({ ok: false, status: 429, code: 'rate_limited' });
      for (let i = 0; i < 3; i++) expect((await message(token)).ok, `anthropic ${i}`).to.equal(true);
    });

    it('raising a provider cap is refused; lowering one is kept', async () => {
      const { grantId } = await grant({ providers: { openai: { maxRequests: 5 } } });
      const raised = await grantStoreOf(fx).lowerLimits(grantId, {
        providers: { openai: { maxRequests: 6 } },
      });
      expect(raised).to.deep.equal({ ok: false, reason: 'OpenAI maxRequests can only be lowered (now 5)' });
      const lowered = await grantStoreOf(fx).lowerLimits(grantId, {
        providers: { openai: { maxRequests: 4 } },
      });
      expect(lowered.ok && lowered.grant.limits.providers?.openai?.maxRequests).to.equal(4);
      expect((await grantStoreOf(fx).find(grantId))?.limits.providers?.openai?.maxRequests).to.equal(4);
    });
  });
}
