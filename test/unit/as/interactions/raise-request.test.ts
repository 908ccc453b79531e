import { expect } from 'chai';
import { raiseTerms, readRaise } from '../../../../src/as/interactions/raise-request.ts';
import type { AiAccessDetail } from '../../../../src/scopes/index.ts';
import { NO_CAPS } from '../../../../src/storage/grant-limits.ts';
import type { GrantRecord } from '../../../../src/storage/grant-store.ts';

const grant = (limits: Partial<GrantRecord['limits']>, scopes = ['openai:*:chat']): GrantRecord => ({
  id: 'g1',
  accountId: 'a',
  clientId: 'c',
  scopes,
  createdAt: 0,
  expiresAt: Date.now() + 3_600_000,
  revokedAt: null,
  revokedReason: null,
  parentGrantId: null,
  depth: 0,
  act: null,
  limits: { ...NO_CAPS, limitPeriod: 'lifetime', providers: {}, ...limits },
});
const ask = (provider: string, limits: AiAccessDetail['limits']): AiAccessDetail =>
  ({ type: 'ai_access', provider, limits }) as AiAccessDetail;
const form = (fields: Record<string, string>) => new URLSearchParams(fields);

describe('raise requests: what may be raised, and what the form raises', () => {
  it("a provider's own cap rises, and the whole grant's with it by as much", () => {
    const g = grant(
      {
        maxRequests: 4,
        providers: { openai: { ...NO_CAPS, maxRequests: 2 }, anthropic: { ...NO_CAPS, maxRequests: 2 } },
      },
      ['openai:*:chat', 'anthropic:*:chat'],
    );
    const terms = raiseTerms(g, [ask('openai', { max_requests: 10 })], {});
    expect(terms.ok).to.equal(true);
    if (!terms.ok) return;
    expect(terms.rows).to.have.length(1);
    expect(terms.rows[0]).to.deep.include({ scope: 'openai', current: 2, most: 10, whole: 4 });
    const read = readRaise(terms.rows, form({ 'limit-openai-max_requests': '5' }), {});
    expect(read).to.deep.include({ ok: true });
    if (read.ok)
      expect(read.next).to.deep.equal({ maxRequests: 7, providers: { openai: { maxRequests: 5 } } });
  });

  it('without an own cap the whole grant’s is raised; with neither there is nothing to raise', () => {
    const whole = raiseTerms(
      grant({ maxSpendMicroUsd: 5_000_000 }),
      [ask('openai', { max_spend_usd: 8 })],
      {},
    );
    expect(whole.ok && whole.rows[0]).to.deep.include({ scope: '*', current: 5_000_000, most: 8_000_000 });
    if (whole.ok) {
      const read = readRaise(whole.rows, form({ 'limit-openai-max_spend_usd': '6.5' }), {});
      expect(read.ok && read.next).to.deep.equal({ maxSpendMicroUsd: 6_500_000, providers: {} });
    }
    expect(raiseTerms(grant({}), [ask('openai', { max_requests: 3 })], {})).to.deep.equal({
      ok: false,
      reason: 'the request asks to raise no limit this access has',
    });
  });

  it("the operator's maximum bounds a raise; at the maximum already, nothing is offered", () => {
    const g = grant({ maxRequests: 5, providers: { openai: { ...NO_CAPS, maxRequests: 5 } } });
    const bounded = raiseTerms(g, [ask('openai', { max_requests: 100 })], { max_requests: 8 });
    expect(bounded.ok && bounded.rows[0]).to.deep.include({ most: 8, cappedByServer: true });
    if (bounded.ok) {
      expect(
        readRaise(bounded.rows, form({ 'limit-openai-max_requests': '9' }), { max_requests: 8 }),
      ).to.deep.include({
        ok: false,
      });
      const read = readRaise(bounded.rows, form({ 'limit-openai-max_requests': '8' }), { max_requests: 8 });
      expect(read.ok && read.next.maxRequests).to.equal(8);
    }
    expect(raiseTerms(g, [ask('openai', { max_requests: 100 })], { max_requests: 5 })).to.deep.equal({
      ok: false,
      reason: 'the limits asked for are already at the most this server allows',
    });
  });

  it('a provider the grant does not include, or asking for less than now, raises nothing', () => {
    const g = grant({ providers: { openai: { ...NO_CAPS, maxRequests: 5 } } });
    expect(raiseTerms(g, [ask('anthropic', { max_requests: 9 })], {})).to.deep.include({ ok: false });
    expect(raiseTerms(g, [ask('openai', { max_requests: 3 })], {})).to.deep.include({ ok: false });
  });
});
