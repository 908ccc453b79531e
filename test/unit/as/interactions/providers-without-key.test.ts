import { expect } from 'chai';
import { providersWithoutKey } from '../../../../src/as/interactions/providers-without-key.ts';

describe('as/interactions/providers-without-key', () => {
  const scopes = ['openai:gpt-4o-mini:chat', 'anthropic:*:chat', 'openai:*:embeddings', 'not a scope'];

  it('names each requested provider with neither a stored nor an operator key, once, in order', () => {
    expect(providersWithoutKey(scopes, [], [])).to.deep.equal(['openai', 'anthropic']);
    expect(providersWithoutKey(scopes, ['openai'], [])).to.deep.equal(['anthropic']);
    expect(providersWithoutKey(scopes, [], ['anthropic'])).to.deep.equal(['openai']);
    expect(providersWithoutKey(scopes, ['anthropic'], ['openai'])).to.deep.equal([]);
    expect(providersWithoutKey([], [], [])).to.deep.equal([]);
  });
});
