import { expect } from 'chai';
import { isScopeToken } from '../../../src/scopes/index.ts';

describe('isScopeToken (RFC 6749 section 3.3)', () => {
  it('accepts every visible ASCII character except double quote and backslash', () => {
    for (let code = 0x21; code <= 0x7e; code++) {
      const char = String.fromCharCode(code);
      expect(isScopeToken(char), `U+${code.toString(16)}`).to.equal(char !== '"' && char !== '\\');
    }
  });

  it('refuses empty values, spaces, controls and non-ASCII', () => {
    for (const value of ['', ' ', 'a b', '\t', '\u0000', '\u007f', 'é', '\u00a0', '😀']) {
      expect(isScopeToken(value), JSON.stringify(value)).to.equal(false);
    }
  });
});
