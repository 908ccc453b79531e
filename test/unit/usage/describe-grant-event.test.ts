import { expect } from 'chai';
import type { GrantEvent } from '../../../src/storage/index.ts';
import { describeGrantEvent } from '../../../src/usage/describe-grant-event.ts';

const event = (kind: GrantEvent['kind'], detail: Record<string, unknown>): GrantEvent =>
  ({ seq: 1, grantId: 'g', accountId: 'a', clientId: 'c', kind, detail, createdAt: 0 }) as GrantEvent;

describe('describeGrantEvent: caps of a provider are named', () => {
  it('a provider cap reached names the provider and what it refuses', () => {
    expect(
      describeGrantEvent(
        event('cap_reached', { limit: 'max_requests', period: 'lifetime', scope: 'openai' }),
      ),
    ).to.equal('Reached its OpenAI request cap: further OpenAI requests are refused.');
    expect(
      describeGrantEvent(
        event('cap_reached', { limit: 'max_spend_usd', period: '2026-12', scope: 'anthropic' }),
      ),
    ).to.equal(
      'Reached its Anthropic spending cap for 2026-12: further Anthropic requests are refused until it resets.',
    );
  });

  it('the whole grant, or a scope that is no provider, says no provider', () => {
    expect(describeGrantEvent(event('cap_reached', { limit: 'max_tokens', period: 'lifetime' }))).to.equal(
      'Reached its token cap: further requests are refused.',
    );
    for (const scope of ['*', 'gemini', 42, '<script>'])
      expect(
        describeGrantEvent(event('cap_reached', { limit: 'max_requests', period: 'lifetime', scope })),
      ).to.equal('Reached its request cap: further requests are refused.');
  });

  it('lowered caps name each provider', () => {
    expect(
      describeGrantEvent(
        event('narrowed', {
          from: { maxRequests: null },
          to: { maxRequests: 4 },
          providers: { openai: { from: { maxRequests: null }, to: { maxRequests: 2 } } },
          by: 'account_page',
        }),
      ),
    ).to.equal('Limits lowered on the account page: most requests none → 4, OpenAI most requests none → 2.');
  });
});
