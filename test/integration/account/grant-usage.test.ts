import { expect } from 'chai';
import { createStores, type Stores } from '../../../src/storage/index.ts';
import { formatAgainstCap, formatUsd } from '../../../src/usage/format-usage.ts';
import { createGrantUsage } from '../../../src/usage/grant-usage.ts';
import { createTestDatabase, engines, type TestDatabase } from '../../support/databases.ts';
import { insertUsage } from './usage-records.ts';

const DAY = 24 * 3600 * 1000;
const at = (iso: string) => Date.parse(iso);

/*
 * The one place a grant's figures are computed: period, usage against each cap (from the
 * ledger, which storing a usage record charges), the 30-day series and the latest
 * requests (from usage_records), on both engines.
 */
for (const engine of engines) {
  describe(`grant figures (${engine})`, () => {
    let t: TestDatabase;
    let stores: Stores;
    let accountId: string;
    let now = at('2026-12-01T00:30:00.000Z');

    before(async () => {
      t = await createTestDatabase(engine);
      stores = createStores(t.db, () => now, { loginWindowMs: 60_000 });
      accountId = (await stores.accounts.create('alice', 'x')).id;
    });
    after(() => t.drop());

    async function grant(
      id: string,
      limits: Parameters<Stores['grants']['record']>[0]['limits'],
      createdAt: number,
    ) {
      const saved = now;
      now = createdAt;
      await stores.grants.record({
        id,
        accountId,
        clientId: 'app_x',
        scopes: ['openai:*:chat'],
        expiresAt: createdAt + 365 * DAY,
        ...(limits ? { limits } : {}),
      });
      now = saved;
      return (await stores.grants.find(id)) as NonNullable<Awaited<ReturnType<Stores['grants']['find']>>>;
    }

    it('a monthly grant counts only this UTC month: the last millisecond of last month is out', async () => {
      const g = await grant(
        'g-month',
        {
          maxRequests: 10,
          maxTokens: 1000,
          maxSpendMicroUsd: 5_000_000,
          limitPeriod: 'month',
          requestsPerMinute: 30,
        },
        at('2026-10-15T00:00:00Z'),
      );
      await insertUsage(t.db, g, [
        {
          createdAt: at('2026-11-30T23:59:59.999Z'),
          inputTokens: 500,
          outputTokens: 400,
          costMicroUsd: 4_000_000,
        },
        {
          createdAt: at('2026-12-01T00:00:00.000Z'),
          inputTokens: 100,
          outputTokens: 20,
          costMicroUsd: 12_300,
        },
        {
          createdAt: at('2026-12-01T00:10:00.000Z'),
          inputTokens: 30,
          cachedInputTokens: 10,
          cacheWriteTokens: 5,
          outputTokens: 50,
          reasoningTokens: 40,
          costMicroUsd: null,
        },
      ]);
      const usage = await createGrantUsage(t.db)(g, now);
      expect(usage.period).to.deep.equal({
        kind: 'month',
        key: '2026-12',
        startsAt: at('2026-12-01T00:00:00Z'),
        resetsAt: at('2027-01-01T00:00:00Z'),
      });
      // Tokens are input (cached and cache writes included) + output (reasoning included).
      expect(usage.requests).to.deep.equal({
        used: 2,
        inFlight: 0,
        setAside: 0,
        limit: 10,
        remaining: 8,
        percent: 20,
      });
      expect(usage.tokens).to.deep.equal({
        used: 200,
        inFlight: 0,
        setAside: 0,
        limit: 1000,
        remaining: 800,
        percent: 20,
      });
      expect(usage.spendMicroUsd).to.deep.include({ used: 12_300, limit: 5_000_000, remaining: 4_987_700 });
      expect(usage.unpricedRequests).to.equal(1);
      expect(usage.requestsPerMinute).to.equal(30);
      expect(formatAgainstCap('spend', usage.spendMicroUsd)).to.equal('$0.01 of $5.00 (<1%)');
      expect(formatUsd(1_234)).to.equal('$0.001234');

      // Thirty UTC days ending today; yesterday holds the record from last month.
      expect(usage.days).to.have.length(30);
      expect(usage.days[0]?.date).to.equal('2026-11-02');
      expect(usage.days.at(-1)).to.deep.equal({
        date: '2026-12-01',
        startsAt: at('2026-12-01T00:00:00Z'),
        requests: 2,
        tokens: 200,
        spendMicroUsd: 12_300,
      });
      expect(usage.days.at(-2)).to.deep.include({ date: '2026-11-30', requests: 1, tokens: 900 });
      expect(usage.last30Days).to.deep.equal({ requests: 3, tokens: 1100, spendMicroUsd: 4_012_300 });
      expect(usage.recent.map((r) => new Date(r.createdAt).toISOString())).to.deep.equal([
        '2026-12-01T00:10:00.000Z',
        '2026-12-01T00:00:00.000Z',
        '2026-11-30T23:59:59.999Z',
      ]);
      expect(usage.recent[0]).to.deep.include({
        inputTokens: 30,
        cachedInputTokens: 10,
        cacheWriteTokens: 5,
        outputTokens: 50,
        reasoningTokens: 40,
        costMicroUsd: null,
        status: 200,
      });

      // A month later the counts start again; December rolls into the next year.
      const later = await createGrantUsage(t.db)(g, at('2027-01-01T00:00:00.000Z'));
      expect(later.period.key).to.equal('2027-01');
      expect(later.period.resetsAt).to.equal(at('2027-02-01T00:00:00Z'));
      expect(later.requests.used).to.equal(0);
      const lastMoment = await createGrantUsage(t.db)(g, at('2026-12-31T23:59:59.999Z'));
      expect(lastMoment.period.resetsAt).to.equal(at('2027-01-01T00:00:00Z'));
      expect(lastMoment.requests.used).to.equal(2);
    });

    it('a lifetime grant counts everything, caps or none; the series leaves out days older than 30', async () => {
      const g = await grant(
        'g-life',
        {
          maxRequests: 4,
          maxTokens: null,
          maxSpendMicroUsd: null,
          limitPeriod: 'lifetime',
          requestsPerMinute: null,
        },
        at('2026-09-01T00:00:00Z'),
      );
      await insertUsage(t.db, g, [
        {
          createdAt: at('2026-09-02T00:00:00Z'),
          inputTokens: 1_000_000,
          outputTokens: 234_567,
          costMicroUsd: 2_000_000,
        },
        { createdAt: now - 30 * DAY, inputTokens: 1, costMicroUsd: 1 },
        { createdAt: now - 29 * DAY, inputTokens: 2, costMicroUsd: 2 },
        {
          createdAt: now,
          inputTokens: 3,
          outputTokens: 4,
          costMicroUsd: 3,
          status: 499,
          clientAborted: true,
        },
        { createdAt: now, status: 502, upstreamFailed: true },
      ]);
      const usage = await createGrantUsage(t.db)(g, now);
      expect(usage.period).to.deep.equal({
        kind: 'lifetime',
        key: 'lifetime',
        startsAt: at('2026-09-01T00:00:00Z'),
        resetsAt: null,
      });
      // As the proxy charges them: the 502 is not a request (released), the 499 is; the
      // cap is reached, so nothing remains.
      expect(usage.requests).to.deep.equal({
        used: 4,
        inFlight: 0,
        setAside: 0,
        limit: 4,
        remaining: 0,
        percent: 100,
      });
      expect(usage.tokens).to.deep.equal({
        used: 1_234_577,
        inFlight: 0,
        setAside: 0,
        limit: null,
        remaining: null,
        percent: null,
      });
      expect(formatAgainstCap('tokens', usage.tokens)).to.equal('1,234,577 (no cap)');
      expect(usage.spendMicroUsd.used).to.equal(2_000_006);
      expect(usage.unpricedRequests).to.equal(0);
      expect(usage.last30Days).to.deep.equal({ requests: 3, tokens: 9, spendMicroUsd: 5 });
      expect(usage.days[0]).to.deep.include({ date: '2026-11-02', requests: 1 });
      expect(usage.recent[0]?.status).to.be.oneOf([499, 502]);
    });

    it('shows at most the latest 20 requests, and none for a grant without any', async () => {
      const g = await grant('g-many', undefined, now - DAY);
      await insertUsage(
        t.db,
        g,
        Array.from({ length: 25 }, (_, i) => ({ createdAt: now - 25_000 + i * 1000, inputTokens: i })),
      );
      const usage = await createGrantUsage(t.db)(g, now);
      expect(usage.recent).to.have.length(20);
      expect(usage.recent.map((r) => r.inputTokens)).to.deep.equal(
        Array.from({ length: 20 }, (_, i) => 24 - i),
      );
      expect(usage.requests.used).to.equal(25);
      const empty = await createGrantUsage(t.db)(await grant('g-none', undefined, now), now);
      expect(empty.requests).to.deep.equal({
        used: 0,
        inFlight: 0,
        setAside: 0,
        limit: null,
        remaining: null,
        percent: null,
      });
      expect(empty.recent).to.deep.equal([]);
      expect(empty.days.every((d) => d.requests === 0)).to.equal(true);
    });
  });
}
