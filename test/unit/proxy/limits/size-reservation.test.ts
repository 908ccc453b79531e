import { expect } from 'chai';
import type { ModelPrice } from '../../../../src/proxy/limits/price-table.ts';
import type { RequestBound } from '../../../../src/proxy/limits/request-bounds.ts';
import { sizeReservation } from '../../../../src/proxy/limits/size-reservation.ts';
import type { Remaining } from '../../../../src/storage/budget-store.ts';

const PRICE: ModelPrice = { input: 1, cachedInput: 0.5, cacheWrite: 2, output: 4, maxOutputTokens: 1000 };
const chat = (over: Partial<Extract<RequestBound, { kind: 'tokens' }>> = {}): RequestBound => ({
  kind: 'tokens',
  inputTokens: 100,
  choices: 1,
  requestedOutputPerChoice: undefined,
  outputField: 'max_completion_tokens',
  maxOutputPerChoice: 1000,
  ...over,
});
const left = (r: Partial<Remaining>): Remaining => ({ requests: null, tokens: null, microUsd: null, ...r });

describe('sizeReservation: the worst case of a request against what remains', () => {
  it('reserves nothing for a grant with neither token nor spend caps', () => {
    const r = sizeReservation(chat(), PRICE, left({ requests: 5 }), undefined);
    expect(r).to.deep.equal({ ok: true, amounts: { tokens: 0, microUsd: 0 }, sized: { inputTokens: 0 } });
  });

  it('prices input at the dearest input rate (cache writes) and output at the output rate', () => {
    const r = sizeReservation(
      chat({ requestedOutputPerChoice: 50 }),
      PRICE,
      left({ microUsd: 10_000 }),
      undefined,
    );
    expect(r).to.deep.equal({
      ok: true,
      amounts: { tokens: 150, inputTokens: 100, microUsd: 100 * 2 + 50 * 4 },
      sized: { inputTokens: 100 },
    });
  });

  it('injects the model maximum when the request sets no bound and it fits', () => {
    const r = sizeReservation(chat(), PRICE, left({ microUsd: 1_000_000 }), undefined);
    expect(r.ok && r.sized.inject).to.deep.equal({ field: 'max_completion_tokens', perChoice: 1000 });
  });

  it('lowers the bound to what the spend cap still allows, per choice', () => {
    // 200 µ$ for input, 1000 µ$ left for output: 250 tokens at 4 µ$, over 2 choices = 125.
    const r = sizeReservation(
      chat({ choices: 2, requestedOutputPerChoice: 800 }),
      PRICE,
      left({ microUsd: 1200 }),
      undefined,
    );
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.sized.inject).to.deep.equal({ field: 'max_completion_tokens', perChoice: 125 });
    expect(r.amounts).to.deep.equal({ tokens: 100 + 250, inputTokens: 100, microUsd: 1200 });
  });

  it('takes the tighter of the token and spend caps', () => {
    const r = sizeReservation(chat(), PRICE, left({ tokens: 130, microUsd: 1_000_000 }), undefined);
    expect(r.ok && r.sized.inject?.perChoice).to.equal(30);
  });

  it('keeps a request bound that already fits as it is', () => {
    const r = sizeReservation(
      chat({ requestedOutputPerChoice: 10 }),
      PRICE,
      left({ tokens: 1000 }),
      undefined,
    );
    expect(r.ok && r.sized.inject).to.equal(undefined);
  });

  it('refuses when the input alone does not fit, naming the limit', () => {
    const byTokens = sizeReservation(chat(), PRICE, left({ tokens: 99 }), undefined);
    expect(byTokens).to.deep.include({ ok: false });
    expect(!byTokens.ok && byTokens.refusal).to.deep.include({ kind: 'cap', limit: 'max_tokens' });
    const bySpend = sizeReservation(chat(), PRICE, left({ microUsd: 199 }), undefined);
    expect(!bySpend.ok && bySpend.refusal).to.deep.include({ kind: 'cap', limit: 'max_spend_usd' });
  });

  it('refuses when not a single output token fits', () => {
    const r = sizeReservation(chat(), PRICE, left({ microUsd: 203 }), undefined);
    expect(!r.ok && r.refusal).to.deep.include({ kind: 'cap', limit: 'max_spend_usd' });
  });

  it('refuses a bound lowered to or below an Anthropic thinking budget', () => {
    const r = sizeReservation(
      chat({ outputField: 'max_tokens', requestedOutputPerChoice: 4000 }),
      PRICE,
      left({ tokens: 100 + 2000 }),
      2048,
    );
    expect(!r.ok && r.refusal).to.deep.include({ kind: 'cap', limit: 'max_tokens' });
  });

  it('bounds embeddings by their input alone', () => {
    const r = sizeReservation(
      chat({ outputField: undefined, maxOutputPerChoice: 0 }),
      PRICE,
      left({ tokens: 500 }),
      undefined,
    );
    expect(r).to.deep.equal({
      ok: true,
      amounts: { tokens: 100, inputTokens: 100, microUsd: 200 },
      sized: { inputTokens: 100 },
    });
  });

  it('charges fixed-price requests their price and refuses what cannot be bounded', () => {
    expect(
      sizeReservation({ kind: 'fixed', microUsd: 40_000 }, PRICE, left({ microUsd: 50_000 }), undefined),
    ).to.deep.equal({
      ok: true,
      amounts: { tokens: 0, microUsd: 40_000 },
      sized: { inputTokens: 0 },
    });
    const r = sizeReservation(
      { kind: 'unbounded', reason: 'no price for model x' },
      undefined,
      left({ tokens: 5 }),
      undefined,
    );
    expect(r).to.deep.equal({ ok: false, refusal: { kind: 'unpriced', reason: 'no price for model x' } });
  });

  it('never reserves less than the dearest real usage within the bounds', () => {
    // A fixed-seed generator (mulberry32): a failure reproduces.
    let seed = 20261128;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    let checked = 0;
    for (let i = 0; i < 200; i++) {
      const input = 1 + Math.floor(random() * 500);
      const want = 1 + Math.floor(random() * 500);
      const r = sizeReservation(
        chat({ inputTokens: input, requestedOutputPerChoice: want }),
        PRICE,
        left({ microUsd: 1 + Math.floor(random() * 5000) }),
        undefined,
      );
      if (!r.ok) continue;
      checked++;
      const out = r.sized.inject?.perChoice ?? want;
      // Worst real split: every input token a cache write, all output used.
      expect(r.amounts.microUsd).to.be.at.least(input * 2 + out * 4);
    }
    expect(checked, 'cases admitted and checked').to.be.above(50);
  });
});
