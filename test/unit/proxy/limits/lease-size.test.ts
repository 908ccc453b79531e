import { expect } from 'chai';
import { type LeaseSizing, sizeLease } from '../../../../src/proxy/limits/lease-size.ts';

const SIZING: LeaseSizing = { holdMs: 1000, share: 0.25, maxRequests: 100, minRequests: 2 };
const demand = (requestsPerSecond: number) => ({
  perRequest: { tokens: 1000, microUsd: 500 },
  requestsPerSecond,
});
const open = { requests: null, tokens: null, microUsd: null };

describe('sizeLease', () => {
  it('covers the recent demand for the hold time when the budget is large', () => {
    expect(sizeLease(open, demand(30), SIZING)).to.deep.equal({
      requests: 30,
      tokens: 30_000,
      microUsd: 15_000,
    });
  });

  it('never exceeds the most requests one slice may cover', () => {
    expect(sizeLease(open, demand(10_000), SIZING)?.requests).to.equal(100);
  });

  it('takes at least the fewest worth a slice when demand is low', () => {
    expect(sizeLease(open, demand(0), SIZING)?.requests).to.equal(2);
  });

  it('takes at most its share of the room under each cap', () => {
    expect(sizeLease({ ...open, requests: 40 }, demand(30), SIZING)?.requests).to.equal(10);
    expect(sizeLease({ ...open, tokens: 40_000 }, demand(30), SIZING)?.requests).to.equal(10);
    expect(sizeLease({ ...open, microUsd: 20_000 }, demand(30), SIZING)?.requests).to.equal(10);
  });

  it('is bounded by the tightest cap', () => {
    expect(
      sizeLease({ requests: 400, tokens: 12_000, microUsd: 1e9 }, demand(30), SIZING)?.requests,
    ).to.equal(3);
  });

  it('takes no slice near the end of a budget, so the tail is reserved request by request', () => {
    expect(sizeLease({ ...open, requests: 7 }, demand(30), SIZING)).to.equal(undefined);
    expect(sizeLease({ ...open, tokens: 3_000 }, demand(30), SIZING)).to.equal(undefined);
    expect(sizeLease({ ...open, microUsd: -5 }, demand(30), SIZING)).to.equal(undefined);
  });

  it('ignores an amount a request does not reserve', () => {
    const free = { perRequest: { tokens: 0, microUsd: 0 }, requestsPerSecond: 30 };
    expect(sizeLease({ requests: null, tokens: 10, microUsd: 10 }, free, SIZING)?.requests).to.equal(30);
  });
});
