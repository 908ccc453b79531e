import { expect } from 'chai';
import { scopeCovers } from '../../../src/scopes/index.ts';

describe('scopeCovers', () => {
  it('lets a * model cover every model of the same provider and capability', () => {
    expect(scopeCovers('openai:*:chat', 'openai:gpt-4o:chat')).to.equal(true);
    expect(scopeCovers('openai:*:chat', 'openai:ft:gpt-4o-mini:org::abc123:chat')).to.equal(true);
    expect(scopeCovers('openai:*:chat', 'openai:*:chat')).to.equal(true);
  });

  it('lets an exact model cover only itself', () => {
    expect(scopeCovers('openai:gpt-4o:chat', 'openai:gpt-4o:chat')).to.equal(true);
    expect(scopeCovers('openai:gpt-4o:chat', 'openai:gpt-4o-mini:chat')).to.equal(false);
    expect(scopeCovers('openai:gpt-4o:chat', 'openai:GPT-4o:chat')).to.equal(false);
    expect(scopeCovers('openai:gpt-4o:chat', 'openai:*:chat')).to.equal(false);
    expect(scopeCovers('openai:ft:gpt-4o:org::a:chat', 'openai:ft:gpt-4o:org::b:chat')).to.equal(false);
  });

  it('requires the same provider and capability', () => {
    expect(scopeCovers('openai:*:chat', 'anthropic:claude-sonnet-4-5:chat')).to.equal(false);
    expect(scopeCovers('openai:*:chat', 'openai:gpt-4o:embeddings')).to.equal(false);
    expect(scopeCovers('openai:*:models', 'openai:gpt-4o:chat')).to.equal(false);
  });

  it('accepts parsed scopes as well as strings', () => {
    expect(
      scopeCovers(
        { provider: 'anthropic', model: '*', capability: 'chat' },
        { provider: 'anthropic', model: 'claude-haiku-4-5', capability: 'chat' },
      ),
    ).to.equal(true);
  });

  it('never matches on invalid scopes', () => {
    expect(scopeCovers('openai:*:*', 'openai:gpt-4o:chat')).to.equal(false);
    expect(scopeCovers('openai:gpt-*:chat', 'openai:gpt-4o:chat')).to.equal(false);
    expect(scopeCovers('*:*:chat', 'openai:gpt-4o:chat')).to.equal(false);
    expect(scopeCovers('openai:*:chat', 'openai::chat')).to.equal(false);
    expect(scopeCovers('openai:*:chat', 'openai:gpt 4o:chat')).to.equal(false);
    expect(scopeCovers('', '')).to.equal(false);
    expect(scopeCovers('openai:*:chat', 'openid')).to.equal(false);
  });
});
