import { expect } from 'chai';
import {
  chatUsage,
  DEFAULT_SETTINGS,
  outputPlan,
  promptWords,
  responsesInputTokens,
} from '../../support/fake-upstream/index.ts';

describe('fake upstream: usage formula', () => {
  it('counts words in content and text, never roles, types or names', () => {
    const messages = [
      { role: 'system', content: 'one two' },
      { role: 'user', name: 'ignored words here', content: [{ type: 'text', text: ' three\nfour ' }] },
    ];
    expect(promptWords(messages)).to.equal(4);
  });

  it('counts each number of a token array as one', () => {
    expect(promptWords([[1, 2, 3], [4]])).to.equal(4);
  });

  it('reports at least one prompt token', () => {
    expect(chatUsage({ messages: [{ role: 'user', content: '' }] }, DEFAULT_SETTINGS).prompt_tokens).to.equal(
      1,
    );
    expect(responsesInputTokens({ instructions: 'a b', input: [{ role: 'user', content: 'c' }] })).to.equal(
      3,
    );
  });

  it('caps reasoning first, then content, at the max-token field', () => {
    const settings = { ...DEFAULT_SETTINGS, chunkCount: 10, reasoningTokens: 4 };
    expect(outputPlan(undefined, settings, true)).to.deep.equal({
      contentTokens: 10,
      reasoningTokens: 4,
      truncated: false,
    });
    expect(outputPlan(6, settings, true)).to.deep.equal({
      contentTokens: 2,
      reasoningTokens: 4,
      truncated: true,
    });
    expect(outputPlan(3, settings, true)).to.deep.equal({
      contentTokens: 0,
      reasoningTokens: 3,
      truncated: true,
    });
    expect(outputPlan(10, settings, false)).to.deep.equal({
      contentTokens: 10,
      reasoningTokens: 0,
      truncated: false,
    });
  });

  it('clamps cached tokens to the prompt', () => {
    const usage = chatUsage(
      { messages: [{ role: 'user', content: 'a b c' }] },
      { ...DEFAULT_SETTINGS, cachedTokens: 9 },
    );
    expect(usage.prompt_tokens_details.cached_tokens).to.equal(3);
  });
});
