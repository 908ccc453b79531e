import { expect } from 'chai';
import { parseAiAccessDetail, parseAiAccessDetails, usdToMicro } from '../../../src/scopes/index.ts';

const ok = (input: unknown) => {
  const r = parseAiAccessDetail(input);
  expect(r.ok, JSON.stringify(r)).to.equal(true);
  return (r as { detail: unknown }).detail;
};
const reason = (input: unknown) => {
  const r = parseAiAccessDetail(input);
  expect(r.ok, JSON.stringify(input)).to.equal(false);
  return (r as { reason: string }).reason;
};

describe('scopes/ai-access-details', () => {
  it('accepts the full shape and copies only known fields', () => {
    const input = {
      type: 'ai_access',
      provider: 'openai',
      models: ['gpt-4o-mini', 'ft:gpt-4o-mini:org::id'],
      capabilities: ['chat', 'embeddings'],
      limits: {
        max_requests: 1000,
        max_tokens: 200000,
        max_spend_usd: 2.5,
        period: 'month',
        requests_per_minute: 30,
      },
    };
    expect(ok(input)).to.deep.equal(input);
    expect(ok({ type: 'ai_access', provider: 'anthropic' })).to.deep.equal({
      type: 'ai_access',
      provider: 'anthropic',
    });
    expect(ok({ type: 'ai_access', provider: 'anthropic', limits: {} })).to.deep.equal({
      type: 'ai_access',
      provider: 'anthropic',
      limits: {},
    });
  });

  it('refuses unknown fields, at the top and in limits', () => {
    expect(reason({ type: 'ai_access', provider: 'openai', locations: ['x'] })).to.include(
      'unknown field locations',
    );
    expect(reason({ type: 'ai_access', provider: 'openai', limits: { max_images: 1 } })).to.include(
      'unknown field limits.max_images',
    );
  });

  it('refuses unknown providers and capabilities a provider does not offer', () => {
    expect(reason({ type: 'ai_access', provider: 'mistral' })).to.equal(
      'provider must be openai, anthropic or google',
    );
    expect(reason({ type: 'ai_access', provider: 'OpenAI' })).to.include('provider');
    expect(reason({ type: 'ai_access' })).to.include('provider');
    expect(reason({ type: 'ai_access', provider: 'openai', capabilities: ['teleport'] })).to.include(
      'unknown capability teleport',
    );
    expect(reason({ type: 'ai_access', provider: 'anthropic', capabilities: ['embeddings'] })).to.include(
      'unknown capability embeddings for anthropic',
    );
  });

  it('refuses badly formed lists', () => {
    for (const models of [[], 'gpt-4o', [''], [1], ['a b'], ['x', 'x'], ['a"b']]) {
      reason({ type: 'ai_access', provider: 'openai', models });
    }
    reason({ type: 'ai_access', provider: 'openai', capabilities: ['chat', 'chat'] });
  });

  it('refuses negative, zero, non-integer and non-number limits', () => {
    const bad: Array<[string, unknown]> = [
      ['max_requests', -1],
      ['max_requests', 0],
      ['max_requests', 1.5],
      ['max_requests', '10'],
      ['max_tokens', Number.MAX_SAFE_INTEGER + 2],
      ['requests_per_minute', 2.5],
      ['max_spend_usd', -0.01],
      ['max_spend_usd', 0],
      ['max_spend_usd', 0.0000001],
      ['max_spend_usd', 2_000_000],
      ['max_spend_usd', null],
    ];
    for (const [key, value] of bad) {
      expect(reason({ type: 'ai_access', provider: 'openai', limits: { [key]: value } })).to.include(
        `limits.${key}`,
      );
    }
    expect(reason({ type: 'ai_access', provider: 'openai', limits: { period: 'week' } })).to.include(
      'period',
    );
  });

  it('refuses other types and non-objects', () => {
    reason({ type: 'payment_initiation', provider: 'openai' });
    reason(null);
    reason([]);
    reason('ai_access');
    reason({ type: 'ai_access', provider: 'openai', limits: [] });
  });

  it('checks a whole array: at most one detail per provider, with the failing index', () => {
    const a = { type: 'ai_access', provider: 'openai' };
    const b = { type: 'ai_access', provider: 'anthropic' };
    expect(parseAiAccessDetails([a, b]).ok).to.equal(true);
    const repeated = parseAiAccessDetails([a, a]);
    expect(repeated.ok).to.equal(false);
    const second = parseAiAccessDetails([a, { ...b, extra: 1 }]);
    expect((second as { reason: string }).reason).to.include('index 1');
    expect(parseAiAccessDetails({}).ok).to.equal(false);
  });

  it('converts dollars to integer micro-dollars', () => {
    expect(usdToMicro(5)).to.equal(5_000_000);
    expect(usdToMicro(0.1 + 0.2)).to.equal(300_000);
    expect(usdToMicro(0.000001)).to.equal(1);
  });
});
