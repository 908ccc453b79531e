import { expect } from 'chai';
import { periodChoice, readGrantedLimits } from '../../../../src/as/interactions/granted-limits.ts';
import type { AiAccessDetail } from '../../../../src/scopes/index.ts';

const openai: AiAccessDetail = {
  type: 'ai_access',
  provider: 'openai',
  models: ['gpt-4o-mini'],
  limits: { max_requests: 100, max_spend_usd: 2, period: 'month' },
};
const anthropic: AiAccessDetail = { type: 'ai_access', provider: 'anthropic', limits: { max_requests: 50 } };

const form = (fields: Record<string, string>) => new URLSearchParams(fields);

describe('as/interactions/granted-limits', () => {
  it('month is offered only when every asked cap is monthly', () => {
    expect(periodChoice([openai])).to.deep.equal({ initial: 'month', monthAllowed: true });
    expect(periodChoice([openai, anthropic])).to.deep.equal({ initial: 'lifetime', monthAllowed: false });
    expect(periodChoice([{ type: 'ai_access', provider: 'openai' }])).to.deep.equal({
      initial: 'lifetime',
      monthAllowed: true,
    });
  });

  it('grants lowered and added limits, each provider its own (never summed or pooled)', () => {
    const r = readGrantedLimits(
      [openai, anthropic],
      form({
        'limit-openai-max_requests': '80',
        'limit-openai-max_spend_usd': '1.25',
        'limit-openai-requests_per_minute': '10',
        'limit-anthropic-max_requests': '50',
        'limit-anthropic-max_spend_usd': '0.5',
        period: 'lifetime',
      }),
      ['openai', 'anthropic'],
    );
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.details).to.deep.equal([
      {
        type: 'ai_access',
        provider: 'openai',
        models: ['gpt-4o-mini'],
        limits: { max_requests: 80, max_spend_usd: 1.25, requests_per_minute: 10, period: 'lifetime' },
      },
      {
        type: 'ai_access',
        provider: 'anthropic',
        limits: { max_requests: 50, max_spend_usd: 0.5, period: 'lifetime' },
      },
    ]);
    expect(r.row).to.deep.equal({
      // The grant as a whole: the total the providers' caps imply, where all have one.
      maxRequests: 130,
      maxTokens: null,
      maxSpendMicroUsd: 1_750_000,
      limitPeriod: 'lifetime',
      // Anthropic has no rate: the grant as a whole has none (OpenAI's own still holds).
      requestsPerMinute: null,
      providers: {
        openai: { maxRequests: 80, maxTokens: null, maxSpendMicroUsd: 1_250_000, requestsPerMinute: 10 },
        anthropic: { maxRequests: 50, maxTokens: null, maxSpendMicroUsd: 500_000, requestsPerMinute: null },
      },
    });
  });

  it('drops the details of a provider whose permissions were all unticked', () => {
    const r = readGrantedLimits(
      [openai, anthropic],
      form({ 'limit-openai-max_requests': '100', 'limit-openai-max_spend_usd': '2' }),
      ['openai'],
    );
    expect(r.ok && r.details.map((d) => d.provider)).to.deep.equal(['openai']);
    expect(r.ok && r.row.providers).to.deep.equal({
      openai: { maxRequests: 100, maxTokens: null, maxSpendMicroUsd: 2_000_000, requestsPerMinute: null },
    });
  });

  it('refuses raising, clearing an asked limit, bad numbers, and a wider period', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ 'limit-openai-max_requests': '101', 'limit-openai-max_spend_usd': '2' }, 'at most 100'],
      [{ 'limit-openai-max_requests': '', 'limit-openai-max_spend_usd': '2' }, 'must be set'],
      [{ 'limit-openai-max_requests': '10', 'limit-openai-max_spend_usd': '2.01' }, 'at most $2'],
      [{ 'limit-openai-max_requests': '-1', 'limit-openai-max_spend_usd': '2' }, 'whole number'],
      [{ 'limit-openai-max_requests': '1e2', 'limit-openai-max_spend_usd': '2' }, 'whole number'],
      [{ 'limit-openai-max_requests': '10', 'limit-openai-max_spend_usd': '0' }, 'above 0'],
      [
        {
          'limit-openai-max_requests': '10',
          'limit-openai-max_spend_usd': '2',
          'limit-openai-max_tokens': '0.5',
        },
        'whole number',
      ],
      [{ 'limit-openai-max_requests': '10', 'limit-openai-max_spend_usd': '2', period: 'week' }, 'period'],
    ];
    for (const [fields, error] of cases) {
      const r = readGrantedLimits([openai], form(fields), ['openai']);
      expect(r.ok, JSON.stringify(fields)).to.equal(false);
      expect((r as { error: string }).error).to.include(error);
    }
    const monthly = readGrantedLimits(
      [anthropic],
      form({ 'limit-anthropic-max_requests': '5', period: 'month' }),
      ['anthropic'],
    );
    expect(monthly.ok).to.equal(false);
  });

  it('with no details asked, grants none and stores no limits', () => {
    const r = readGrantedLimits([], form({}), ['openai']);
    expect(r).to.deep.equal({
      ok: true,
      details: [],
      row: {
        maxRequests: null,
        maxTokens: null,
        maxSpendMicroUsd: null,
        limitPeriod: 'lifetime',
        requestsPerMinute: null,
        providers: {},
      },
    });
  });

  describe('operator maximums', () => {
    const maximums = { max_requests: 50, max_spend_usd: 1, requests_per_minute: 20 } as const;

    it('month needs monthly caps asked for once a total is capped', () => {
      expect(periodChoice([openai], maximums)).to.deep.equal({ initial: 'month', monthAllowed: true });
      expect(periodChoice([{ type: 'ai_access', provider: 'openai' }], maximums)).to.deep.equal({
        initial: 'lifetime',
        monthAllowed: false,
      });
      // A rate maximum alone bounds no total.
      expect(
        periodChoice([{ type: 'ai_access', provider: 'openai' }], { requests_per_minute: 5 }),
      ).to.deep.equal({
        initial: 'lifetime',
        monthAllowed: true,
      });
    });

    it('refuses values above the maximum and empty capped fields, naming the bound', () => {
      const cases: Array<[Record<string, string>, string]> = [
        [
          {
            'limit-openai-max_requests': '51',
            'limit-openai-max_spend_usd': '1',
            'limit-openai-requests_per_minute': '20',
          },
          'OpenAI: most requests can be at most 50, the most this server allows.',
        ],
        [
          {
            'limit-openai-max_requests': '50',
            'limit-openai-max_spend_usd': '1.5',
            'limit-openai-requests_per_minute': '20',
          },
          'OpenAI: most spending, in US dollars can be at most $1.00, the most this server allows.',
        ],
        [
          { 'limit-openai-max_requests': '50', 'limit-openai-max_spend_usd': '1' },
          'OpenAI: most requests per minute must be set, at most 20, the most this server allows.',
        ],
      ];
      for (const [fields, error] of cases) {
        const r = readGrantedLimits([openai], form({ ...fields, period: 'month' }), ['openai'], maximums);
        expect(r.ok, JSON.stringify(fields)).to.equal(false);
        expect((r as { error: string }).error).to.include(error);
      }
      // Below the maximum, the app's ask still binds.
      const r = readGrantedLimits(
        [openai],
        form({ 'limit-openai-max_requests': '40', 'limit-openai-max_spend_usd': '2.5', period: 'month' }),
        ['openai'],
        { max_requests: 50, max_spend_usd: 5 },
      );
      expect((r as { error: string }).error).to.include('can be at most $2.00, what the app asked for');
    });

    it('caps the grant as a whole at the maximums, each provider at what the person approved', () => {
      const r = readGrantedLimits(
        [openai, anthropic],
        form({
          'limit-openai-max_requests': '40',
          'limit-openai-max_spend_usd': '1',
          'limit-openai-requests_per_minute': '20',
          'limit-anthropic-max_requests': '30',
          'limit-anthropic-max_spend_usd': '0.75',
          'limit-anthropic-requests_per_minute': '5',
          period: 'lifetime',
        }),
        ['openai', 'anthropic'],
        maximums,
      );
      expect(r.ok && r.row).to.deep.equal({
        maxRequests: 50,
        maxTokens: null,
        maxSpendMicroUsd: 1_000_000,
        limitPeriod: 'lifetime',
        requestsPerMinute: 20,
        providers: {
          openai: { maxRequests: 40, maxTokens: null, maxSpendMicroUsd: 1_000_000, requestsPerMinute: 20 },
          anthropic: { maxRequests: 30, maxTokens: null, maxSpendMicroUsd: 750_000, requestsPerMinute: 5 },
        },
      });
    });

    it('with no details, the grant gets the maximums over its whole life', () => {
      const r = readGrantedLimits([], form({ period: 'month' }), ['openai', 'anthropic'], maximums);
      expect(r).to.deep.equal({
        ok: true,
        details: [],
        row: {
          maxRequests: 50,
          maxTokens: null,
          maxSpendMicroUsd: 1_000_000,
          limitPeriod: 'lifetime',
          requestsPerMinute: 20,
          providers: {},
        },
      });
    });
  });
});
