import { expect } from 'chai';
import { findMissingScope } from '../../../src/scopes/index.ts';

describe('findMissingScope', () => {
  const granted = ['openid', 'openai:gpt-4o-mini:chat'];

  it('returns undefined when the request is allowed', () => {
    expect(findMissingScope(granted, 'openai', 'gpt-4o-mini', 'chat')).to.equal(undefined);
    expect(findMissingScope(['openai:*:chat'], 'openai', 'anything', 'chat')).to.equal(undefined);
  });

  it('returns the exact scope the request needs', () => {
    expect(findMissingScope(granted, 'openai', 'gpt-4o', 'chat')).to.equal('openai:gpt-4o:chat');
    expect(findMissingScope(granted, 'openai', 'text-embedding-3-small', 'embeddings')).to.equal(
      'openai:text-embedding-3-small:embeddings',
    );
    expect(findMissingScope(granted, 'openai', 'ft:gpt-4o-mini:org::abc123', 'chat')).to.equal(
      'openai:ft:gpt-4o-mini:org::abc123:chat',
    );
    expect(findMissingScope(granted, 'anthropic', 'claude-haiku-4-5', 'chat')).to.equal(
      'anthropic:claude-haiku-4-5:chat',
    );
  });

  it('asks for the * scope of a listing', () => {
    expect(findMissingScope(['openai:gpt-4o:models'], 'openai', '*', 'models')).to.equal('openai:*:models');
  });

  it('asks for the * scope when the model cannot be written as a scope', () => {
    for (const model of ['', 'gpt 4o', 'gpt"4o', 'gpt\\4o', 'gpt-*', ':gpt', 'gpt-4ö', 'x'.repeat(300)]) {
      expect(findMissingScope(granted, 'openai', model, 'chat'), JSON.stringify(model)).to.equal(
        'openai:*:chat',
      );
    }
  });
});
