import { expect } from 'chai';
import { DEFAULT_PRICES } from '../../../../src/config/default-prices.ts';
import {
  costMicroUsd,
  findPrice,
  type ModelPrice,
  outputMicroUsdPerToken,
  type PriceTable,
  ratesFor,
  worstCaseMicroUsd,
  worstInputMicroUsdPerToken,
  worstRatesFor,
} from '../../../../src/proxy/limits/price-table.ts';
import type { TokenUsage } from '../../../../src/proxy/usage/usage-tap.ts';
import { DEFAULT_ANTHROPIC_MODELS, DEFAULT_OPENAI_MODELS } from '../../../support/fake-upstream/index.ts';

const usage = (over: Partial<TokenUsage>): TokenUsage => ({
  inputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  ...over,
});

const TABLE: PriceTable = {
  openai: {
    'gpt-4o': { input: 2.5, output: 10 },
    'gpt-4o-mini': { input: 0.15, output: 0.6 },
    'gpt-4o-2024-05-13': { input: 5, output: 15 },
  },
  anthropic: {
    'claude-sonnet-4': { input: 3, output: 15 },
    'claude-sonnet-4-5': { input: 3.5, output: 16 },
  },
  google: {},
};

describe('proxy/limits/price-table', () => {
  describe('findPrice', () => {
    it('finds an exact id, also one that is a snapshot with its own entry', () => {
      expect(findPrice(TABLE, 'openai', 'gpt-4o')).to.deep.equal({ input: 2.5, output: 10 });
      expect(findPrice(TABLE, 'openai', 'gpt-4o-2024-05-13')?.input).to.equal(5);
    });

    it('prices a dated snapshot by the longest key it extends with a dash', () => {
      expect(findPrice(TABLE, 'openai', 'gpt-4o-2024-08-06')?.input).to.equal(2.5);
      expect(findPrice(TABLE, 'openai', 'gpt-4o-mini-2024-07-18')?.input).to.equal(0.15);
      expect(findPrice(TABLE, 'anthropic', 'claude-sonnet-4-5-20250929')?.input).to.equal(3.5);
      expect(findPrice(TABLE, 'anthropic', 'claude-sonnet-4-20250514')?.input).to.equal(3);
    });

    it('finds nothing for other ids, other providers, or ids that merely start alike', () => {
      expect(findPrice(TABLE, 'openai', 'gpt-4')).to.equal(undefined);
      expect(findPrice(TABLE, 'openai', 'gpt-4oo')).to.equal(undefined);
      expect(findPrice(TABLE, 'openai', 'ft:gpt-4o-mini:org::abc123')).to.equal(undefined);
      expect(findPrice(TABLE, 'anthropic', 'gpt-4o')).to.equal(undefined);
      expect(findPrice(TABLE, 'openai', 'constructor')).to.equal(undefined);
      expect(findPrice(TABLE, 'openai', '__proto__')).to.equal(undefined);
      expect(findPrice(TABLE, 'openai', '')).to.equal(undefined);
    });

    it('prices every model the tests and the fake upstream use', () => {
      for (const model of DEFAULT_OPENAI_MODELS.filter((m) => !m.includes('moderation'))) {
        expect(findPrice(DEFAULT_PRICES, 'openai', model), model).to.not.equal(undefined);
      }
      for (const model of DEFAULT_ANTHROPIC_MODELS) {
        expect(findPrice(DEFAULT_PRICES, 'anthropic', model), model).to.not.equal(undefined);
      }
      for (const model of ['gpt-4o-2024-08-06', 'gpt-image-1', 'text-embedding-3-small']) {
        expect(findPrice(DEFAULT_PRICES, 'openai', model), model).to.not.equal(undefined);
      }
      for (const model of ['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-1-20250805']) {
        expect(findPrice(DEFAULT_PRICES, 'anthropic', model), model).to.not.equal(undefined);
      }
    });

    it('never prices a dearer variant as its cheaper base model in the shipped table', () => {
      const input = (model: string) => findPrice(DEFAULT_PRICES, 'openai', model)?.input;
      expect(input('gpt-5-pro')).to.equal(15);
      expect(input('gpt-5.5-pro-2026-04-23')).to.equal(30);
      expect(input('o3-pro')).to.equal(20);
      expect(input('o1-pro')).to.equal(150);
      expect(input('gpt-4o-2024-05-13')).to.equal(5);
      // Billed beyond tokens: found, but with no token price (so never bounded).
      expect(findPrice(DEFAULT_PRICES, 'openai', 'gpt-4o-mini-search-preview-2025-03-11')).to.deep.equal({});
      expect(findPrice(DEFAULT_PRICES, 'openai', 'o3-deep-research')).to.deep.equal({});
    });

    it('ships Anthropic cache writes at the 1-hour price (2 × input)', () => {
      for (const [model, price] of Object.entries(DEFAULT_PRICES.anthropic)) {
        expect(price.cacheWrite, model).to.equal((price.input ?? Number.NaN) * 2);
        expect(price.contextWindow, model).to.be.a('number');
        expect(price.maxOutputTokens, model).to.be.a('number');
      }
    });
  });

  describe('costMicroUsd', () => {
    const price: ModelPrice = { input: 3, cachedInput: 0.3, cacheWrite: 6, output: 15 };

    it('bills uncached input, cache reads, cache writes and output (reasoning included) at their rates', () => {
      const cost = costMicroUsd(
        price,
        usage({
          inputTokens: 1000,
          cachedInputTokens: 600,
          cacheWriteTokens: 100,
          outputTokens: 50,
          reasoningTokens: 30,
        }),
      );
      // 300 × 3 + 600 × 0.3 + 100 × 6 + 50 × 15 (the 30 reasoning tokens are part of the 50)
      expect(cost).to.equal(900 + 180 + 600 + 750);
    });

    it('bills cache reads and writes at the input rate when the price has none', () => {
      const plain = { input: 2, output: 4 };
      expect(
        costMicroUsd(
          plain,
          usage({ inputTokens: 10, cachedInputTokens: 4, cacheWriteTokens: 3, outputTokens: 1 }),
        ),
      ).to.equal(10 * 2 + 4);
    });

    it('rounds up to a whole micro-dollar, but not float noise', () => {
      expect(costMicroUsd({ input: 0.15, output: 0.6 }, usage({ inputTokens: 1 }))).to.equal(1);
      expect(costMicroUsd({ input: 0.15, output: 0.6 }, usage({ inputTokens: 7, outputTokens: 1 }))).to.equal(
        2,
      );
      // 0.1 + 0.2 is 0.30000000000000004 in floats: still 1, and 3 × 0.1 stays 1, not 2.
      expect(costMicroUsd({ input: 0.1, output: 0.2 }, usage({ inputTokens: 1, outputTokens: 1 }))).to.equal(
        1,
      );
      expect(costMicroUsd({ input: 0.1, output: 1 }, usage({ inputTokens: 10 }))).to.equal(1);
      expect(costMicroUsd({ input: 0.1, output: 1 }, usage({ inputTokens: 30 }))).to.equal(3);
      expect(costMicroUsd(price, usage({}))).to.equal(0);
    });

    it('is undefined without token prices, or without the rate the usage needs', () => {
      expect(costMicroUsd({ perImage: { '1024x1024': 0.04 } }, usage({ inputTokens: 5 }))).to.equal(
        undefined,
      );
      expect(costMicroUsd({}, usage({}))).to.equal(undefined);
      expect(costMicroUsd({ input: 0.02 }, usage({ inputTokens: 100 }))).to.equal(2);
      expect(costMicroUsd({ input: 0.02 }, usage({ inputTokens: 100, outputTokens: 1 }))).to.equal(undefined);
    });

    it('bills a long prompt, every token of it, at the long-context rates', () => {
      const tiered: ModelPrice = {
        input: 1,
        output: 5,
        longContext: { aboveInputTokens: 100, input: 2, cachedInput: 0.5, output: 10 },
      };
      expect(costMicroUsd(tiered, usage({ inputTokens: 100, outputTokens: 10 }))).to.equal(100 + 50);
      // 100 × 2 + 1 × 0.5 + 10 × 10 = 300.5, rounded up.
      expect(
        costMicroUsd(tiered, usage({ inputTokens: 101, cachedInputTokens: 1, outputTokens: 10 })),
      ).to.equal(301);
      // Cache writes default to the long tier's input; output to the standard output when the tier has none.
      expect(
        ratesFor({ input: 1, output: 5, longContext: { aboveInputTokens: 1, input: 3 } }, 2),
      ).to.deep.equal({
        input: 3,
        cachedInput: 3,
        cacheWrite: 3,
        output: 5,
      });
    });
  });

  describe('worst-case rates', () => {
    it('prices one input token at the dearest input rate, cache writes included', () => {
      expect(worstInputMicroUsdPerToken({ input: 3, cachedInput: 0.3, cacheWrite: 6, output: 15 })).to.equal(
        6,
      );
      expect(worstInputMicroUsdPerToken({ input: 3, cachedInput: 0.3, output: 15 })).to.equal(3);
      expect(worstInputMicroUsdPerToken({ input: 1, cachedInput: 2 })).to.equal(2);
      expect(outputMicroUsdPerToken({ input: 3, output: 15 })).to.equal(15);
      expect(outputMicroUsdPerToken({ input: 3 })).to.equal(0);
    });

    it('covers the long-context tier unless the prompt cannot reach it', () => {
      const tiered: ModelPrice = {
        input: 1,
        cacheWrite: 2,
        output: 5,
        longContext: { aboveInputTokens: 100, input: 1.5, cacheWrite: 3, output: 7.5 },
      };
      expect(worstInputMicroUsdPerToken(tiered)).to.equal(3);
      expect(outputMicroUsdPerToken(tiered)).to.equal(7.5);
      expect(worstRatesFor(tiered, 100)).to.deep.equal({ input: 2, output: 5 });
      expect(worstRatesFor(tiered, 101)).to.deep.equal({ input: 3, output: 7.5 });
    });

    it('is never below the real cost, however the same token counts split (property)', () => {
      let seed = 42;
      const random = () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      const pick = (values: Array<number | undefined>) => values[Math.floor(random() * values.length)];
      const rate = () => pick([undefined, 0, 0.01, 0.075, 0.1, 0.15, 0.3, 1.25, 2.5, 3, 6, 15, 75]);
      for (let i = 0; i < 2000; i++) {
        const price: ModelPrice = {
          input: rate() ?? 1,
          cachedInput: rate(),
          cacheWrite: rate(),
          output: rate() ?? 4,
        };
        if (random() < 0.3) {
          price.longContext = {
            aboveInputTokens: Math.floor(random() * 5000) + 1,
            input: rate() ?? 2,
            cachedInput: rate(),
            cacheWrite: rate(),
            output: rate(),
          };
        }
        const inputTokens = Math.floor(random() * 10_000);
        const outputTokens = Math.floor(random() * 10_000);
        const reserved = Math.ceil(
          inputTokens * worstInputMicroUsdPerToken(price) + outputTokens * outputMicroUsdPerToken(price),
        );
        const bound = worstCaseMicroUsd(price, inputTokens, outputTokens);
        expect(bound).to.be.at.most(reserved);
        for (let j = 0; j < 5; j++) {
          const cachedInputTokens = Math.floor(random() * (inputTokens + 1));
          const cacheWriteTokens = Math.floor(random() * (inputTokens - cachedInputTokens + 1));
          // The real prompt may be shorter than the bound, the output too.
          const realInput =
            cachedInputTokens +
            cacheWriteTokens +
            Math.floor(random() * (inputTokens - cachedInputTokens - cacheWriteTokens + 1));
          const real = costMicroUsd(
            price,
            usage({
              inputTokens: realInput,
              cachedInputTokens,
              cacheWriteTokens,
              outputTokens: Math.floor(random() * (outputTokens + 1)),
            }),
          );
          expect(real, JSON.stringify({ price, inputTokens, outputTokens })).to.be.at.most(bound);
        }
      }
    });
  });
});
