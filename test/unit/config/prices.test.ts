import { expect } from 'chai';
import { DEFAULT_PRICES } from '../../../src/config/default-prices.ts';
import { ConfigError, loadConfig } from '../../../src/config/index.ts';
import { findPrice, type PriceTable } from '../../../src/proxy/limits/price-table.ts';

const secrets = {
  MANDATE_COOKIE_KEYS: 'k'.repeat(43),
  MANDATE_PROXY_CLIENT_SECRET: 's'.repeat(43),
};
const noFiles = (path: string): string => {
  throw Object.assign(new Error(`no ${path}`), { code: 'ENOENT' });
};
const load = (file?: Record<string, unknown>, overrides?: Record<string, unknown>) =>
  loadConfig({ env: secrets, file, overrides, readFile: noFiles });

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('config/prices', () => {
  it('ships the default table, frozen', () => {
    const prices: PriceTable = load().prices;
    expect(prices).to.deep.equal(DEFAULT_PRICES);
    expect(Object.isFrozen(prices.openai['gpt-4o'])).to.equal(true);
  });

  it('lets one model be overridden, keeping every other model as shipped', () => {
    const prices = load({
      prices: { openai: { 'gpt-4o': { input: 2, output: 8, contextWindow: 128_000 } } },
    }).prices;
    expect(prices.openai['gpt-4o']).to.deep.equal({ input: 2, output: 8, contextWindow: 128_000 });
    expect(prices.openai['gpt-4o-mini']).to.deep.equal(DEFAULT_PRICES.openai['gpt-4o-mini']);
    expect(prices.anthropic).to.deep.equal(DEFAULT_PRICES.anthropic);
    // A snapshot still finds the overridden entry.
    expect(findPrice(prices, 'openai', 'gpt-4o-2024-08-06')?.input).to.equal(2);
  });

  it('replaces the whole entry of an overridden model, so no shipped field lingers', () => {
    const prices = load({ prices: { anthropic: { 'claude-sonnet-4-5': { input: 3, output: 15 } } } }).prices;
    expect(prices.anthropic['claude-sonnet-4-5']).to.deep.equal({ input: 3, output: 15 });
    expect(prices.anthropic['claude-sonnet-4-5']?.longContext).to.equal(undefined);
  });

  it('adds models, and removes a shipped one with null', () => {
    const prices = load({
      prices: {
        openai: {
          'ft:gpt-4o-mini:acme::abc123': { input: 0.3, output: 1.2, contextWindow: 128_000 },
          'tts-1': { perRequest: 0.0615 },
          'dall-e-2': null,
        },
      },
    }).prices;
    expect(prices.openai['ft:gpt-4o-mini:acme::abc123']?.input).to.equal(0.3);
    expect(prices.openai['tts-1']).to.deep.equal({ perRequest: 0.0615 });
    expect(Object.hasOwn(prices.openai, 'dall-e-2')).to.equal(false);
    expect(prices.openai['gpt-4o']).to.deep.equal(DEFAULT_PRICES.openai['gpt-4o']);
  });

  it('layers the config file under overrides, model by model', () => {
    const prices = load(
      { prices: { openai: { 'gpt-4o': { input: 2, output: 8 }, 'gpt-4.1': { input: 1, output: 4 } } } },
      { prices: { openai: { 'gpt-4o': { input: 3, output: 9 } } } },
    ).prices;
    expect(prices.openai['gpt-4o']).to.deep.equal({ input: 3, output: 9 });
    expect(prices.openai['gpt-4.1']).to.deep.equal({ input: 1, output: 4 });
  });

  it('refuses a negative price, naming the setting', () => {
    const message = errorOf(() => load({ prices: { openai: { 'gpt-4o': { input: -1, output: 8 } } } }));
    expect(message).to.include('prices.openai.gpt-4o.input: must be 0 or more (USD per million tokens)');
    expect(
      errorOf(() =>
        load({ prices: { anthropic: { 'claude-x': { input: 1, perImage: { '1024x1024': -0.1 } } } } }),
      ),
    ).to.include('prices.anthropic.claude-x.perImage.1024x1024: must be 0 or more (USD)');
  });

  it('refuses unknown fields, bad sizes, fractional token counts, unknown providers and bad ids', () => {
    expect(errorOf(() => load({ prices: { openai: { 'gpt-4o': { inputt: 1 } } } }))).to.match(
      /prices\.openai\.gpt-4o: .*inputt/,
    );
    expect(errorOf(() => load({ prices: { openai: { x: { perImage: { big: 1 } } } } }))).to.include(
      'prices.openai.x.perImage.big: is not an image size such as 1024x1024',
    );
    expect(errorOf(() => load({ prices: { openai: { x: { contextWindow: 1.5 } } } }))).to.include(
      'prices.openai.x.contextWindow: must be a whole number of tokens',
    );
    expect(errorOf(() => load({ prices: { openai: { x: { longContext: { input: 2 } } } } }))).to.include(
      'prices.openai.x.longContext.aboveInputTokens: is required',
    );
    expect(errorOf(() => load({ prices: { azure: {} } }))).to.include(
      'prices.azure: azure is not a provider',
    );
    expect(errorOf(() => load({ prices: { openai: { 'bad id': { input: 1 } } } }))).to.include(
      'prices.openai.bad id: is not a model id',
    );
    expect(errorOf(() => load({ prices: { openai: { x: 'cheap' } } }))).to.include('prices.openai.x');
  });
});
