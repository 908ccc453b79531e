import { expect } from 'chai';
import { scopesAllow } from '../../../src/scopes/index.ts';

describe('scopesAllow', () => {
  const granted = [
    'openid',
    'offline_access',
    'openai:gpt-4o-mini:chat',
    'anthropic:*:chat',
    'openai:*:models',
  ];

  it('allows what an exact or * grant covers', () => {
    expect(scopesAllow(granted, 'openai', 'gpt-4o-mini', 'chat')).to.equal(true);
    expect(scopesAllow(granted, 'anthropic', 'claude-sonnet-4-5', 'chat')).to.equal(true);
    expect(scopesAllow(granted, 'openai', '*', 'models')).to.equal(true);
  });

  it('denies other models, capabilities and providers', () => {
    expect(scopesAllow(granted, 'openai', 'gpt-4o', 'chat')).to.equal(false);
    expect(scopesAllow(granted, 'openai', 'gpt-4o-mini', 'embeddings')).to.equal(false);
    expect(scopesAllow(granted, 'anthropic', 'claude-sonnet-4-5', 'models')).to.equal(false);
    expect(scopesAllow(granted, 'google', 'gemini', 'chat')).to.equal(false);
  });

  it('denies a request for * (e.g. a model listing) under an exact grant', () => {
    expect(scopesAllow(['openai:gpt-4o:models'], 'openai', '*', 'models')).to.equal(false);
  });

  it('compares request models exactly, so near misses fail', () => {
    for (const model of [
      'gpt-4o-mini ',
      ' gpt-4o-mini',
      'GPT-4o-mini',
      'gpt-4o-mini\u0000',
      'gpt-4o-mini:chat',
      '',
    ]) {
      expect(scopesAllow(granted, 'openai', model, 'chat'), JSON.stringify(model)).to.equal(false);
    }
  });

  it('ignores granted values that are not valid AI scopes', () => {
    expect(scopesAllow(['openai:*:*', 'openai:gpt-*:chat', 'openid'], 'openai', 'gpt-4o', 'chat')).to.equal(
      false,
    );
    expect(scopesAllow(['anthropic:*:embeddings'], 'anthropic', 'x', 'embeddings')).to.equal(false);
    expect(scopesAllow([], 'openai', 'gpt-4o', 'chat')).to.equal(false);
  });
});
