import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { createBudgetStore } from '../../../src/storage/budget-store.ts';
import type { LowerLimits } from '../../../src/storage/grant-store.ts';
import { engines } from '../../support/databases.ts';
import { anthropicUsage, chatUsage } from '../../support/fake-upstream/index.ts';
import { flushedRecords, settledCounters } from '../../support/ledger-reads.ts';
import { grantIdOf, limitedGrant, lowerLimits } from '../../support/limited-grant.ts';
import type { ProxyFixture } from '../../support/proxy-fixture.ts';
import { proxyFixtureHooks } from '../../support/proxy-fixture-hooks.ts';
import { ROUND_PRICES } from '../../support/round-prices.ts';

for (const engine of engines) {
  describe(`budget enforcement in the proxy (${engine})`, function () {
    this.timeout(60_000);
    let fx: ProxyFixture;

    proxyFixtureHooks(engine, { prices: ROUND_PRICES }, (started) => {
      fx = started;
    });

    /** A grant through the real flow, then limited the way the account page does it. */
    const limited = (limits: LowerLimits, scope = 'openai:*:chat anthropic:*:chat') =>
      limitedGrant(fx, limits, scope);

    const openai = (apiKey: string) => new OpenAI({ apiKey, baseURL: fx.proxy.openaiBaseURL, maxRetries: 2 });
    const charged = (grantId: string) => settledCounters(fx, grantId);
    const records = (grantId: string, count: number) => flushedRecords(fx, grantId, count);

    it('refuses the request that would pass the spend cap with 403, which the SDK does not retry', async () => {
      // Each request: 3 words in, 20 tokens out; reserved: body bytes × 1 µ$ + 40 out × 2 µ$.
      const body = {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user' as const, content: 'three little words' }],
        max_tokens: 40,
      };
      const bytes = Buffer.byteLength(JSON.stringify(body));
      const reserve = bytes + 40 * 2;
      const real = chatUsage(body, fx.upstream.control.settings);
      const cost = real.prompt_tokens * 1 + real.completion_tokens * 2;
      // Two requests fit (the second with its bound lowered, still above what it uses);
      // then only the input bound and less than one output token remain.
      const cap = 2 * cost + bytes + 1;
      expect(reserve).to.be.at.most(cap);
      const { accessToken, grantId } = await limited({ maxSpendMicroUsd: cap });
      const client = openai(accessToken);
      // Each answer is settled right after it ends; the next request waits for that.
      await client.chat.completions.create(body);
      await charged(grantId);
      await client.chat.completions.create(body);
      await charged(grantId);
      const before = fx.upstream.requests.length;
      // The SDKs may retry (maxRetries 2): count what they really send.
      let sent = 0;
      const counting = (input: string | URL | Request, init?: RequestInit) => {
        sent++;
        return fetch(input, init);
      };
      const retrying = new OpenAI({
        apiKey: accessToken,
        baseURL: fx.proxy.openaiBaseURL,
        maxRetries: 2,
        fetch: counting,
      });
      const err = await retrying.chat.completions.create(body).catch((e: unknown) => e);
      expect(sent).to.equal(1);
      expect(err).to.be.instanceOf(OpenAI.PermissionDeniedError);
      const refused = err as InstanceType<typeof OpenAI.PermissionDeniedError>;
      expect(refused.status).to.equal(403);
      expect(refused.headers.get('x-should-retry')).to.equal('false');
      expect((refused.error as { code?: string }).code).to.equal('limit_reached');
      expect(refused.message).to.include('max_spend_usd').and.include('does not reset');
      expect(fx.upstream.requests.length).to.equal(before); // nothing forwarded, no retry
      const totals = await charged(grantId);
      expect(totals.microUsd).to.equal(2 * cost);
      expect(totals.requests).to.equal(2);
      expect(totals.tokens).to.equal(2 * real.total_tokens);
      expect(totals.openReservations).to.equal(0);
      const rows = await records(grantId, 2);
      expect(rows.map((r) => r.costMicroUsd)).to.deep.equal([cost, cost]);

      const anthropic = new Anthropic({
        apiKey: accessToken,
        baseURL: fx.proxy.anthropicBaseURL,
        maxRetries: 2,
        fetch: counting,
      });
      sent = 0;
      const aErr = await anthropic.messages
        .create({ model: 'claude-sonnet-5-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e);
      expect(sent).to.equal(1);
      expect(aErr).to.be.instanceOf(Anthropic.PermissionDeniedError);
      expect((aErr as { error?: { error?: { type?: string } } }).error?.error?.type).to.equal(
        'permission_error',
      );
      // Refused three times, reached once: the audit trail says so once.
      const events = await fx.as.database
        .db('grant_events')
        .where({ grant_id: grantId, kind: 'cap_reached' });
      expect(events).to.have.length(1);
      expect(JSON.parse(events[0].detail)).to.deep.equal({ limit: 'max_spend_usd', period: 'lifetime' });
    });

    it('injects the output bound the remaining budget allows when the request sets none', async () => {
      const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hello there' }] };
      const bytes = Buffer.byteLength(JSON.stringify(body));
      // Room for the input bound and 7 output tokens.
      const { accessToken, grantId } = await limited({ maxSpendMicroUsd: bytes + 7 * 2 + 1 });
      const raw = await openai(accessToken).chat.completions.create(body).withResponse();
      expect(raw.response.headers.get('x-mandate-output-bound')).to.equal('7');
      const seen = fx.upstream.requests.at(-1)?.json as Record<string, unknown>;
      expect(seen.max_completion_tokens).to.equal(7);
      expect(raw.data.usage?.completion_tokens).to.equal(7);
      expect(raw.data.choices[0]?.finish_reason).to.equal('length');
      const totals = await charged(grantId);
      expect(totals.microUsd).to.equal((raw.data.usage?.prompt_tokens ?? 0) + 7 * 2);
    });

    it('lowers a max_tokens that asks for more than fits, times n choices', async () => {
      const body = {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user' as const, content: 'one two' }],
        n: 3,
        max_completion_tokens: 500,
      };
      const bytes = Buffer.byteLength(JSON.stringify(body));
      const { accessToken, grantId } = await limited({ maxTokens: bytes + 3 * 5 });
      const answer = await openai(accessToken).chat.completions.create(body);
      expect(
        (fx.upstream.requests.at(-1)?.json as Record<string, unknown> | undefined)?.max_completion_tokens,
      ).to.equal(5);
      expect(answer.choices).to.have.length(3);
      expect(answer.usage?.completion_tokens).to.equal(15);
      const totals = await charged(grantId);
      expect(totals.tokens).to.equal(answer.usage?.total_tokens);
    });

    it('refuses past max_requests, and says when a monthly cap resets', async () => {
      const tokens = await fx.grant('openai:*:chat');
      const grantId = grantIdOf(tokens.accessToken);
      await fx.as.database.db('grants').where({ id: grantId }).update({ limit_period: 'month' });
      await lowerLimits(fx, grantId, { maxRequests: 2 });
      const client = openai(tokens.accessToken);
      const body = {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user' as const, content: 'hi' }],
        max_tokens: 5,
      };
      await client.chat.completions.create(body);
      await client.chat.completions.create(body);
      const err = (await client.chat.completions.create(body).catch((e: unknown) => e)) as Error;
      expect(err).to.be.instanceOf(OpenAI.PermissionDeniedError);
      const now = new Date();
      const reset = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
      expect(err.message).to.include('max_requests').and.include(`resets at ${reset}`);
    });

    it('answers 429 with retry-after over the per-minute limit (both SDKs)', async () => {
      const { accessToken } = await limited({ requestsPerMinute: 2 });
      const client = new OpenAI({ apiKey: accessToken, baseURL: fx.proxy.openaiBaseURL, maxRetries: 0 });
      const body = {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user' as const, content: 'hi' }],
        max_tokens: 5,
      };
      await client.chat.completions.create(body);
      await client.chat.completions.create(body);
      const err = (await client.chat.completions.create(body).catch((e: unknown) => e)) as InstanceType<
        typeof OpenAI.RateLimitError
      >;
      expect(err).to.be.instanceOf(OpenAI.RateLimitError);
      const retryAfter = Number(err.headers.get('retry-after'));
      expect(retryAfter).to.be.within(1, 60);
      expect(Number(err.headers.get('retry-after-ms'))).to.be.within(1, 60_000);
      const anthropic = new Anthropic({
        apiKey: accessToken,
        baseURL: fx.proxy.anthropicBaseURL,
        maxRetries: 0,
      });
      const aErr = await anthropic.messages
        .create({
          model: 'claude-sonnet-5-5',
          max_tokens: 5,
          messages: [{ role: 'user' as const, content: 'hi' }],
        })
        .catch((e: unknown) => e);
      expect(aErr).to.be.instanceOf(Anthropic.RateLimitError);
      expect((aErr as { error?: { error?: { type?: string } } }).error?.error?.type).to.equal(
        'rate_limit_error',
      );
    });

    it('refuses a model the price table cannot price under a spend cap, never free', async () => {
      const { accessToken } = await limited({ maxSpendMicroUsd: 1_000_000 });
      const err = (await openai(accessToken)
        .chat.completions.create({
          model: 'gpt-unpriced-1',
          messages: [{ role: 'user' as const, content: 'hi' }],
        })
        .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.PermissionDeniedError>;
      expect(err).to.be.instanceOf(OpenAI.PermissionDeniedError);
      expect((err.error as { code?: string }).code).to.equal('limit_unenforceable');
      expect(err.message).to.include('gpt-unpriced-1');
    });

    it('settles Anthropic streams to the reported cumulative usage, cache writes priced', async () => {
      fx.upstream.control.set({ cachedTokens: 2, cacheWriteTokens: 3 });
      const { accessToken, grantId } = await limited({ maxSpendMicroUsd: 1_000_000 });
      const anthropic = new Anthropic({ apiKey: accessToken, baseURL: fx.proxy.anthropicBaseURL });
      const body = {
        model: 'claude-sonnet-5-5',
        max_tokens: 10,
        messages: [{ role: 'user' as const, content: 'a b c d' }],
      };
      const stream = anthropic.messages.stream(body);
      await stream.finalMessage();
      const u = anthropicUsage(body, fx.upstream.control.settings);
      const cost =
        u.input_tokens * 3 +
        u.cache_read_input_tokens * 0.3 +
        u.cache_creation_input_tokens * 6 +
        u.output_tokens * 15;
      const totals = await charged(grantId);
      expect(totals.microUsd).to.equal(Math.ceil(cost));
      expect(totals.tokens).to.equal(
        u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens + u.output_tokens,
      );
    });

    it('releases the reservation when the upstream fails before answering', async () => {
      const { accessToken, grantId } = await limited({ maxSpendMicroUsd: 1_000_000 });
      fx.upstream.control.next({ fault: { kind: 'status', status: 500 } });
      const client = new OpenAI({ apiKey: accessToken, baseURL: fx.proxy.openaiBaseURL, maxRetries: 0 });
      const err = await client.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }], max_tokens: 5 })
        .catch((e: unknown) => e);
      expect(err).to.be.instanceOf(OpenAI.InternalServerError);
      const totals = await charged(grantId);
      expect(totals).to.deep.include({ requests: 0, tokens: 0, microUsd: 0, openReservations: 0 });
    });

    it('charges a client abort mid-stream its reserved worst case, not the partial message_start usage', async () => {
      fx.upstream.control.set({ chunkDelayMs: 20 });
      const { accessToken, grantId } = await limited({ maxSpendMicroUsd: 1_000_000 });
      const anthropic = new Anthropic({ apiKey: accessToken, baseURL: fx.proxy.anthropicBaseURL });
      const body = {
        model: 'claude-sonnet-5-5',
        max_tokens: 50,
        messages: [{ role: 'user' as const, content: 'a b' }],
      };
      const stream = anthropic.messages.stream(body);
      let events = 0;
      await new Promise<void>((resolve) => {
        stream.on('streamEvent', () => {
          if (++events === 3) {
            stream.abort();
            resolve();
          }
        });
        stream.on('error', () => resolve());
      });
      const sent = await fx.upstream.control.waitForEnd();
      const totals = await charged(grantId);
      // The reservation: the body's bytes at the dearest input rate (cache writes, 6 µ$),
      // all of max_tokens at the output rate.
      const bytes = sent.body.length;
      expect(totals.openReservations).to.equal(0);
      expect(totals.requests).to.equal(1);
      expect(totals.tokens).to.equal(bytes + 50);
      expect(totals.microUsd).to.equal(bytes * 6 + 50 * 15);
      const [row] = await records(grantId, 1);
      expect(row?.clientAborted).to.equal(true);
      expect(row?.costMicroUsd).to.equal(totals.microUsd);
      expect(row).to.include({ inputTokens: bytes, outputTokens: 50 });
    });

    it('releases the reservation of a client that left while waiting for it, and sends nothing', async () => {
      const { accessToken, grantId } = await limited({ maxSpendMicroUsd: 1_000_000 });
      const body = {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user' as const, content: 'hi' }],
        max_tokens: 5,
      };
      await openai(accessToken).chat.completions.create(body);
      await charged(grantId);
      const before = await charged(grantId);
      const sentBefore = fx.upstream.requests.length;
      const db = fx.as.database.db;
      // Hold the grant's counter row (PostgreSQL) or the database's write lock (SQLite):
      // the proxy's reservation waits behind it while the client gives up.
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked: () => void = () => {};
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holder = db.transaction(async (trx) => {
        if (fx.as.database.engine === 'pg')
          await trx('grant_counters').where({ grant_id: grantId }).forUpdate().select();
        else
          await trx('grant_counters')
            .where({ grant_id: grantId })
            .update({ requests: trx.raw('requests') });
        locked();
        await held;
      });
      await isLocked;
      const controller = new AbortController();
      const gone = openai(accessToken)
        .chat.completions.create(body, { signal: controller.signal })
        .catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 200));
      controller.abort();
      expect(await gone).to.be.instanceOf(OpenAI.APIUserAbortError);
      await new Promise((r) => setTimeout(r, 100));
      release();
      await holder;
      const after = await charged(grantId);
      expect(after).to.deep.equal(before);
      expect(fx.upstream.requests.length).to.equal(sentBefore);
    });

    it('enforces a limit lowered on the account side on the next request with the same token, once the change reached the proxy', async () => {
      const { accessToken, grantId } = await limited({ maxRequests: 100 });
      const client = openai(accessToken);
      const body = {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user' as const, content: 'hi' }],
        max_tokens: 5,
      };
      await client.chat.completions.create(body);
      // The proxy holds a slice of the grant (leases): the revocation log returns it.
      await lowerLimits(fx, grantId, { maxRequests: 1 });
      const err = await client.chat.completions.create(body).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(OpenAI.PermissionDeniedError);
    });

    it('a grant without caps gains one when a limit is added, once the change reached the proxy', async () => {
      const tokens = await fx.grant('openai:*:chat');
      const grantId = grantIdOf(tokens.accessToken);
      const client = openai(tokens.accessToken);
      const body = {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user' as const, content: 'hi' }],
        max_tokens: 5,
      };
      await client.chat.completions.create(body);
      // No caps, still counted: the ledger has it once its usage record is stored.
      await records(grantId, 1);
      expect((await charged(grantId)).requests).to.equal(1);
      // "At most 2 in total" counts the request already made: one more is served.
      await lowerLimits(fx, grantId, { maxRequests: 2 });
      await client.chat.completions.create(body);
      const err = await client.chat.completions.create(body).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(OpenAI.PermissionDeniedError);
    });

    it('reaps the reservations of a proxy that stopped beating, keeping them charged', async () => {
      const { grantId } = await limited({ maxSpendMicroUsd: 1_000_000 });
      const taken = await createBudgetStore(fx.as.database.db, Date.now).reserve({
        id: `dead-${grantId}`,
        grantId,
        provider: 'openai',
        proxyId: 'proxy-that-died',
        note: {
          clientId: fx.client.clientId,
          accountId: fx.accountId,
          provider: 'openai',
          model: 'gpt-4o-mini',
          capability: 'chat',
        },
        size: () => ({ ok: true, amounts: { tokens: 120, inputTokens: 20, microUsd: 777 }, sized: null }),
      });
      expect(taken.ok).to.equal(true);
      // The running proxy reaps on its next tick (it beats; the dead one never did).
      await fx.restartProxy({ reservations: { heartbeatIntervalMs: 50, reapAfterMs: 200 } });
      const totals = await charged(grantId);
      expect(totals).to.deep.include({ requests: 1, tokens: 120, microUsd: 777, openReservations: 0 });
      const rows = await records(grantId, 1);
      expect(rows).to.have.length(1);
      expect(rows[0]).to.deep.include({ status: 0, inputTokens: 20, outputTokens: 100, costMicroUsd: 777 });
    });
  });
}
