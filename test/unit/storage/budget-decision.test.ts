import { expect } from 'chai';
import {
  type Amounts,
  type Counters,
  decideBudget,
  type Remaining,
  type ScopeState,
  type SizeReservation,
} from '../../../src/storage/budget-decision.ts';
import { type Caps, NO_CAPS } from '../../../src/storage/grant-limits.ts';

const counters = (requests = 0, tokens = 0, microUsd = 0): Counters => ({ requests, tokens, microUsd });
const scope = (
  name: ScopeState['scope'],
  caps: Partial<Caps>,
  total = counters(),
  open = counters(),
): ScopeState => ({ scope: name, caps: { ...NO_CAPS, ...caps }, total, open });

/** A request of 10 input tokens that wants `wanted` output tokens, lowered to fit (as sizeReservation does). */
const sizing =
  (wanted: number): SizeReservation<{ output: number }> =>
  (remaining: Remaining) => {
    const fits = remaining.tokens === null ? wanted : remaining.tokens - 10;
    const output = Math.min(wanted, fits);
    if (output < 1) return { ok: false, refusal: { kind: 'cap', limit: 'max_tokens', resetsAt: null } };
    const amounts: Amounts = { tokens: 10 + output, inputTokens: 10, microUsd: 0 };
    return { ok: true, amounts, sized: { output } };
  };
const fixed =
  (microUsd: number): SizeReservation<null> =>
  () => ({ ok: true, amounts: { tokens: 0, microUsd }, sized: null });

describe('decideBudget: one request against the whole grant and its provider', () => {
  it('admits within both scopes, sized against the tighter one', () => {
    const d = decideBudget(
      [
        scope('*', { maxTokens: 1000 }, counters(0, 100)),
        scope('openai', { maxTokens: 200 }, counters(0, 150)),
      ],
      sizing(100),
      null,
    );
    expect(d).to.deep.equal({
      ok: true,
      amounts: { tokens: 50, inputTokens: 10, microUsd: 0 },
      sized: { output: 40 },
    });
  });

  it('a provider without caps leaves only the whole grant to bind, and the reverse', () => {
    const wholeOnly = decideBudget(
      [scope('*', { maxRequests: 2 }, counters(1)), scope('openai', {})],
      fixed(0),
      null,
    );
    expect(wholeOnly.ok).to.equal(true);
    const providerOnly = decideBudget(
      [scope('*', {}), scope('openai', { maxRequests: 2 }, counters(2))],
      fixed(0),
      7,
    );
    expect(providerOnly).to.deep.equal({
      ok: false,
      refusal: { kind: 'cap', limit: 'max_requests', resetsAt: 7, scope: 'openai', value: 2 },
    });
  });

  it('settled usage at the cap is a cap refusal naming the scope; open reservations in the way are busy', () => {
    const settledFull = decideBudget(
      [scope('*', {}), scope('anthropic', { maxRequests: 3 }, counters(3))],
      fixed(0),
      null,
    );
    expect(settledFull).to.deep.include({ ok: false });
    expect(!settledFull.ok && settledFull.refusal).to.deep.include({
      kind: 'cap',
      scope: 'anthropic',
      value: 3,
    });

    const inFlight = decideBudget(
      [scope('*', { maxRequests: 3 }, counters(3), counters(1)), scope('openai', {})],
      fixed(0),
      null,
    );
    expect(inFlight).to.deep.equal({
      ok: false,
      refusal: { kind: 'busy', limit: 'max_requests', scope: '*', value: 3, retryAfterMs: 1000 },
    });
  });

  it('busy when sizing fails only because of reservations; cap when settled usage alone leaves no output', () => {
    // 1000-token cap, 995 charged of which 900 are open: without them, 105 remain.
    const busy = decideBudget(
      [scope('*', {}), scope('openai', { maxTokens: 1000 }, counters(5, 995), counters(4, 900))],
      sizing(50),
      null,
    );
    expect(!busy.ok && busy.refusal).to.deep.include({ kind: 'busy', limit: 'max_tokens', scope: 'openai' });
    const cap = decideBudget(
      [scope('*', {}), scope('openai', { maxTokens: 1000 }, counters(5, 995), counters(1, 3))],
      sizing(50),
      null,
    );
    expect(!cap.ok && cap.refusal).to.deep.include({
      kind: 'cap',
      limit: 'max_tokens',
      scope: 'openai',
      value: 1000,
    });
  });

  it('a fixed cost above what is left is refused on spend, as busy or cap by the same rule', () => {
    const scopes = (open: number) => [
      scope('*', { maxSpendMicroUsd: 100 }, counters(1, 0, 60), counters(1, 0, open)),
    ];
    expect(decideBudget(scopes(50), fixed(50), null)).to.deep.nested.include({ 'refusal.kind': 'busy' });
    expect(decideBudget(scopes(0), fixed(50), null)).to.deep.nested.include({ 'refusal.kind': 'cap' });
    expect(decideBudget(scopes(0), fixed(40), null).ok).to.equal(true);
  });

  it('passes through what sizing refuses for other reasons', () => {
    const unpriced: SizeReservation<null> = () => ({
      ok: false,
      refusal: { kind: 'unpriced', reason: 'no price' },
    });
    expect(decideBudget([scope('*', { maxSpendMicroUsd: 10 })], unpriced, null)).to.deep.equal({
      ok: false,
      refusal: { kind: 'unpriced', reason: 'no price' },
    });
  });
});
