import { expect } from 'chai';
import { splitScopeParam } from '../../../src/scopes/index.ts';

describe('splitScopeParam', () => {
  it('splits on spaces and keeps order', () => {
    expect(splitScopeParam('openid openai:gpt-4o:chat offline_access')).to.deep.equal([
      'openid',
      'openai:gpt-4o:chat',
      'offline_access',
    ]);
  });

  it('drops duplicates, keeping the first occurrence', () => {
    expect(splitScopeParam('b a b c a')).to.deep.equal(['b', 'a', 'c']);
  });

  it('ignores leading, trailing and repeated spaces', () => {
    expect(splitScopeParam('  openid   openai:*:chat ')).to.deep.equal(['openid', 'openai:*:chat']);
  });

  it('returns an empty list for empty, blank or missing input', () => {
    expect(splitScopeParam('')).to.deep.equal([]);
    expect(splitScopeParam('   ')).to.deep.equal([]);
    expect(splitScopeParam(undefined)).to.deep.equal([]);
    expect(splitScopeParam(null)).to.deep.equal([]);
  });

  it('separates only on U+0020, so other whitespace stays and fails parsing later', () => {
    expect(splitScopeParam('openid\topenai:*:chat')).to.deep.equal(['openid\topenai:*:chat']);
    expect(splitScopeParam('openid\nopenai:*:chat')).to.deep.equal(['openid\nopenai:*:chat']);
  });
});
